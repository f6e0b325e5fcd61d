/** A progress bar on a terminal; silent when the stream is not a TTY (CI logs, pipes, files). */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

/**
 * `label [██████░░░░░░░░]  42% (420/1000)`, redrawn in place at most every 100 ms, for long steps of
 * the command line (training, evaluation). `done()` finishes the line.
 */
export function progressBar(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY || total <= 0) return { tick: () => {}, done: () => {} };
  let count = 0;
  let last = 0;
  const draw = () => {
    const share = Math.min(1, count / total);
    const width = 24;
    const full = Math.round(share * width);
    stream.write(
      `\r${label} [${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)}% (${count}/${total})`,
    );
  };
  return {
    tick(n = 1) {
      count += n;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    done() {
      count = total;
      draw();
      stream.write('\n');
    },
  };
}

package org.recs.graph;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;

/**
 * Runs an embedded Neo4j Community DBMS with only a Bolt connector on 127.0.0.1.
 *
 * <p>Usage: {@code Neo4jLauncher --data-dir DIR --port N [--password P] [--pagecache 128m]}.
 *
 * <p>Contract with the process that spawns it: exactly one line {@code NEO4J_READY bolt://127.0.0.1:N}
 * on stdout once Bolt accepts connections (everything else goes to stderr or to DIR/logs); exit code 2
 * for bad arguments, 3 when the port is taken, 1 for any other start failure; SIGTERM shuts the DBMS
 * down cleanly through a shutdown hook.
 */
public final class Neo4jLauncher {
  private static final String HOST = "127.0.0.1";
  private static final String USER = "neo4j";
  private static final int MIN_PASSWORD_LENGTH = 8;

  private Neo4jLauncher() {}

  /** Parsed command line. */
  record Options(Path dataDir, int port, String password, long pagecacheBytes) {}

  /** A failure that maps to a specific exit code and a one-line message. */
  static final class LaunchException extends Exception {
    final int exitCode;

    LaunchException(int exitCode, String message, Throwable cause) {
      super(message, cause);
      this.exitCode = exitCode;
    }
  }

  public static void main(String[] args) {
    // Neo4j and its libraries may print to System.out; the spawning process parses stdout for the
    // READY line, so keep the real stdout private and route everything else to stderr.
    PrintStream stdout = System.out;
    System.setOut(System.err);
    try {
      Options options = parse(args);
      run(options, stdout);
    } catch (LaunchException e) {
      System.err.println("neo4j-launcher: " + e.getMessage());
      if (e.getCause() != null && e.exitCode == 1) {
        e.getCause().printStackTrace(System.err);
      }
      System.exit(e.exitCode);
    }
  }

  static Options parse(String[] args) throws LaunchException {
    Path dataDir = null;
    Integer port = null;
    String password = null;
    long pagecache = parseBytes("--pagecache", "128m");
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (!name.startsWith("--")) {
        throw usage("unexpected argument '" + name + "'");
      }
      if (i + 1 >= args.length) {
        throw usage("missing value for " + name);
      }
      String value = args[++i];
      switch (name) {
        case "--data-dir" -> dataDir = Path.of(value).toAbsolutePath();
        case "--port" -> port = parsePort(value);
        case "--password" -> {
          // Neo4j's own rule (dbms.security.auth_minimum_password_length), checked here so the
          // failure is a usage error instead of a stack trace after a 10 s start.
          if (value.length() < MIN_PASSWORD_LENGTH) {
            throw usage(
                "--password must have at least "
                    + MIN_PASSWORD_LENGTH
                    + " characters (omit it to disable authentication), received "
                    + value.length());
          }
          password = value;
        }
        case "--pagecache" -> pagecache = parseBytes(name, value);
        default -> throw usage("unknown option '" + name + "'");
      }
    }
    if (dataDir == null) {
      throw usage("--data-dir is required");
    }
    if (port == null) {
      throw usage("--port is required");
    }
    return new Options(dataDir, port, password, pagecache);
  }

  private static int parsePort(String value) throws LaunchException {
    try {
      int port = Integer.parseInt(value);
      if (port < 1 || port > 65535) {
        throw usage("--port must be between 1 and 65535, received '" + value + "'");
      }
      return port;
    } catch (NumberFormatException e) {
      throw usage("--port must be an integer, received '" + value + "'");
    }
  }

  /** Parses sizes such as {@code 128m}, {@code 1g}, {@code 65536k} or plain bytes. */
  static long parseBytes(String name, String value) throws LaunchException {
    String v = value.trim().toLowerCase(Locale.ROOT);
    long multiplier = 1;
    if (!v.isEmpty()) {
      switch (v.charAt(v.length() - 1)) {
        case 'k' -> multiplier = 1L << 10;
        case 'm' -> multiplier = 1L << 20;
        case 'g' -> multiplier = 1L << 30;
        default -> multiplier = 1;
      }
    }
    String digits = multiplier == 1 ? v : v.substring(0, v.length() - 1);
    try {
      long n = Long.parseLong(digits);
      if (n <= 0) {
        throw usage(name + " must be positive, received '" + value + "'");
      }
      return n * multiplier;
    } catch (NumberFormatException e) {
      throw usage(name + " must be a size such as 128m or 1g, received '" + value + "'");
    }
  }

  private static LaunchException usage(String problem) {
    return new LaunchException(
        2,
        problem
            + "\nusage: Neo4jLauncher --data-dir DIR --port N [--password P] [--pagecache 128m]",
        null);
  }

  private static void ensurePortFree(int port) throws LaunchException {
    // Neo4j reports a taken Bolt port deep inside a lifecycle stack trace; checking first gives a
    // readable message. The race with another process grabbing it in between is covered by the
    // start failure path.
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
    } catch (IOException e) {
      throw new LaunchException(3, "port " + HOST + ":" + port + " is already in use (" + e.getMessage() + ")", e);
    }
  }

  static void run(Options options, PrintStream stdout) throws LaunchException {
    ensurePortFree(options.port());
    try {
      Files.createDirectories(options.dataDir());
    } catch (IOException e) {
      throw new LaunchException(1, "cannot create data dir " + options.dataDir() + ": " + e.getMessage(), e);
    }

    DatabaseManagementService dbms;
    try {
      dbms =
          new DatabaseManagementServiceBuilder(options.dataDir())
              .setConfig(BoltConnector.enabled, true)
              .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, options.port()))
              .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, options.port()))
              .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
              .setConfig(GraphDatabaseSettings.auth_enabled, options.password() != null)
              .setConfig(GraphDatabaseSettings.pagecache_memory, options.pagecacheBytes())
              // No outbound traffic: the machines this runs on only reach package registries.
              .setConfig(GraphDatabaseSettings.udc_enabled, false)
              // A transaction's time-out (the cart query's, set by the client) is enforced by a monitor
              // that looks every 2 s by default; every 10 ms ends a runaway query close to its time-out.
              .setConfig(GraphDatabaseSettings.transaction_monitor_check_interval, Duration.ofMillis(10))
              // Bolt's default graceful shutdown waits ~10 s on idle thread pools; tests stop the
              // server after closing their drivers, so a short wait keeps SIGTERM-to-exit fast.
              .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
              .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
              .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
              .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
              .build();
    } catch (RuntimeException e) {
      if (!portAvailable(options.port())) {
        throw new LaunchException(3, "port " + HOST + ":" + options.port() + " is already in use", e);
      }
      throw new LaunchException(1, "Neo4j failed to start: " + rootMessage(e), e);
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.err.println("neo4j-launcher: shutting down");
                  try {
                    dbms.shutdown();
                  } finally {
                    stopped.countDown();
                  }
                },
                "neo4j-launcher-shutdown"));

    try {
      if (options.password() != null) {
        setPassword(dbms, options.password());
      }
      awaitBolt(options.port());
    } catch (RuntimeException e) {
      throw new LaunchException(1, "Neo4j started but could not be prepared: " + rootMessage(e), e);
    }

    stdout.println("NEO4J_READY bolt://" + HOST + ":" + options.port());
    stdout.flush();

    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Embedded transactions on the system database run without authentication, so the password can be
   * set directly; CHANGE NOT REQUIRED avoids the forced first-login password change that Bolt clients
   * would otherwise hit. Re-running on an existing data dir sets the given password again.
   */
  private static void setPassword(DatabaseManagementService dbms, String password) {
    GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    try {
      system.executeTransactionally(
          "ALTER USER " + USER + " SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
          Map.of("password", password));
    } catch (QueryExecutionException e) {
      // Restarting on an existing data dir with the same password: Neo4j refuses a no-op change,
      // and the desired state already holds. It only says so in the message text.
      if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
        throw e;
      }
    }
  }

  private static void awaitBolt(int port) {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(HOST, port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Bolt connector on port " + port + " did not accept connections", e);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for Bolt", ie);
        }
      }
    }
  }

  private static boolean portAvailable(int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (cause: " + root + ")";
  }
}

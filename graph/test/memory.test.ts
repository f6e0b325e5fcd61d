import { MemoryCoPurchaseGraph } from '../src/index';
import { runCoPurchaseGraphContract } from './CoPurchaseGraph.contract';

runCoPurchaseGraphContract('memory', async () => new MemoryCoPurchaseGraph());

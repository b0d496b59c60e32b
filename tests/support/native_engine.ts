/**
 * Encodes one row with the native DuckDB engine: `tests/deploy_test.ts` runs this under Deno
 * Deploy's limits to show that they do refuse a native addon.
 * @module
 */
import { createDuckDbEngine } from "../../lake/parquet/duckdb_engine.ts";

const engine = createDuckDbEngine();
await engine.encode({ length: 1, columns: { x: new Float64Array([1]) } }, [{ name: "x", type: "double" }]);
engine.close();

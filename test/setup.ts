/**
 * Imported before every test file (`npm test`'s `--import`): the tests of mathematics run on the reference
 * kernels in float64, which tsgrad's default (the fastest kernels: wasm, float32) is not. Tests of a backend
 * install it themselves; test/core/default-backend.test.ts checks the default in a process without this file.
 */
import { setBackend } from "../core/index.ts";

setBackend("reference");

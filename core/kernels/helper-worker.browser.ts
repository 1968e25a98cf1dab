/** The entry of the wasm kernels' helper thread in a browser's Web Worker: runs the helper on the data the page posts. */
import { runWasmHelper, type WasmHelperData } from "./wasm-helper.ts";

addEventListener("message", (e: Event) => runWasmHelper((e as MessageEvent<WasmHelperData>).data), { once: true });

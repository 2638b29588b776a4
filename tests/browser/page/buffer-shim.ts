/**
 * Injected into browser bundles (esbuild --inject): isomorphic-git and its dependencies use the
 * Node `Buffer` global, which browsers do not have; the `buffer` package provides it.
 */
import { Buffer } from "buffer";
export { Buffer };

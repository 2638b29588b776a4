/**
 * @module git/sha1
 * Incremental SHA-1 (FIPS 180-4 section 6.1) over web-platform types only: WebCrypto's `digest` is
 * one-shot, but git hashes objects and packs (gitformat-pack "pack-*.pack files have the following
 * format": the trailer is the SHA-1 of everything before it) as they stream in.
 *
 * The compression function is fully unrolled with the sixteen schedule words in local variables: on
 * V8 and JavaScriptCore this measured about twice as fast as a loop over an `Int32Array` schedule.
 */
import type { Hasher } from "../platform.ts";

const K0 = 0x5a827999;
const K1 = 0x6ed9eba1;
const K2 = 0x8f1bbcdc | 0;
const K3 = 0xca62c1d6 | 0;
const BLOCK_BYTES = 64;

/**
 * Runs the compression function over every 64-byte block of `m` in `[start, end)` (`end - start` is a
 * multiple of 64) and updates the five state words in `h`.
 */
// deno-fmt-ignore
function compress(h: Int32Array, m: Uint8Array, start: number, end: number): void {
  let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4];
  for (let i = start; i < end; i += BLOCK_BYTES) {
    let w0 = (m[i] << 24) | (m[i + 1] << 16) | (m[i + 2] << 8) | m[i + 3];
    let w1 = (m[i + 4] << 24) | (m[i + 5] << 16) | (m[i + 6] << 8) | m[i + 7];
    let w2 = (m[i + 8] << 24) | (m[i + 9] << 16) | (m[i + 10] << 8) | m[i + 11];
    let w3 = (m[i + 12] << 24) | (m[i + 13] << 16) | (m[i + 14] << 8) | m[i + 15];
    let w4 = (m[i + 16] << 24) | (m[i + 17] << 16) | (m[i + 18] << 8) | m[i + 19];
    let w5 = (m[i + 20] << 24) | (m[i + 21] << 16) | (m[i + 22] << 8) | m[i + 23];
    let w6 = (m[i + 24] << 24) | (m[i + 25] << 16) | (m[i + 26] << 8) | m[i + 27];
    let w7 = (m[i + 28] << 24) | (m[i + 29] << 16) | (m[i + 30] << 8) | m[i + 31];
    let w8 = (m[i + 32] << 24) | (m[i + 33] << 16) | (m[i + 34] << 8) | m[i + 35];
    let w9 = (m[i + 36] << 24) | (m[i + 37] << 16) | (m[i + 38] << 8) | m[i + 39];
    let w10 = (m[i + 40] << 24) | (m[i + 41] << 16) | (m[i + 42] << 8) | m[i + 43];
    let w11 = (m[i + 44] << 24) | (m[i + 45] << 16) | (m[i + 46] << 8) | m[i + 47];
    let w12 = (m[i + 48] << 24) | (m[i + 49] << 16) | (m[i + 50] << 8) | m[i + 51];
    let w13 = (m[i + 52] << 24) | (m[i + 53] << 16) | (m[i + 54] << 8) | m[i + 55];
    let w14 = (m[i + 56] << 24) | (m[i + 57] << 16) | (m[i + 58] << 8) | m[i + 59];
    let w15 = (m[i + 60] << 24) | (m[i + 61] << 16) | (m[i + 62] << 8) | m[i + 63];
    let a = h0, b = h1, c = h2, d = h3, e = h4, t = 0;
    // Rounds 0-19: f = Ch(b, c, d).
    e = (e + ((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + w0 + K0) | 0; b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + w1 + K0) | 0; a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + w2 + K0) | 0; e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w3 + K0) | 0; d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + w4 + K0) | 0; c = (c << 30) | (c >>> 2);
    e = (e + ((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + w5 + K0) | 0; b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + w6 + K0) | 0; a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + w7 + K0) | 0; e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w8 + K0) | 0; d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + w9 + K0) | 0; c = (c << 30) | (c >>> 2);
    e = (e + ((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + w10 + K0) | 0; b = (b << 30) | (b >>> 2);
    d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + w11 + K0) | 0; a = (a << 30) | (a >>> 2);
    c = (c + ((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + w12 + K0) | 0; e = (e << 30) | (e >>> 2);
    b = (b + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w13 + K0) | 0; d = (d << 30) | (d >>> 2);
    a = (a + ((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + w14 + K0) | 0; c = (c << 30) | (c >>> 2);
    e = (e + ((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + w15 + K0) | 0; b = (b << 30) | (b >>> 2);
    t = w13 ^ w8 ^ w2 ^ w0; w0 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + w0 + K0) | 0; a = (a << 30) | (a >>> 2);
    t = w14 ^ w9 ^ w3 ^ w1; w1 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + w1 + K0) | 0; e = (e << 30) | (e >>> 2);
    t = w15 ^ w10 ^ w4 ^ w2; w2 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + w2 + K0) | 0; d = (d << 30) | (d >>> 2);
    t = w0 ^ w11 ^ w5 ^ w3; w3 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + w3 + K0) | 0; c = (c << 30) | (c >>> 2);
    // Rounds 20-39: f = Parity(b, c, d).
    t = w1 ^ w12 ^ w6 ^ w4; w4 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w4 + K1) | 0; b = (b << 30) | (b >>> 2);
    t = w2 ^ w13 ^ w7 ^ w5; w5 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w5 + K1) | 0; a = (a << 30) | (a >>> 2);
    t = w3 ^ w14 ^ w8 ^ w6; w6 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w6 + K1) | 0; e = (e << 30) | (e >>> 2);
    t = w4 ^ w15 ^ w9 ^ w7; w7 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w7 + K1) | 0; d = (d << 30) | (d >>> 2);
    t = w5 ^ w0 ^ w10 ^ w8; w8 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w8 + K1) | 0; c = (c << 30) | (c >>> 2);
    t = w6 ^ w1 ^ w11 ^ w9; w9 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w9 + K1) | 0; b = (b << 30) | (b >>> 2);
    t = w7 ^ w2 ^ w12 ^ w10; w10 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w10 + K1) | 0; a = (a << 30) | (a >>> 2);
    t = w8 ^ w3 ^ w13 ^ w11; w11 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w11 + K1) | 0; e = (e << 30) | (e >>> 2);
    t = w9 ^ w4 ^ w14 ^ w12; w12 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w12 + K1) | 0; d = (d << 30) | (d >>> 2);
    t = w10 ^ w5 ^ w15 ^ w13; w13 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w13 + K1) | 0; c = (c << 30) | (c >>> 2);
    t = w11 ^ w6 ^ w0 ^ w14; w14 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w14 + K1) | 0; b = (b << 30) | (b >>> 2);
    t = w12 ^ w7 ^ w1 ^ w15; w15 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w15 + K1) | 0; a = (a << 30) | (a >>> 2);
    t = w13 ^ w8 ^ w2 ^ w0; w0 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w0 + K1) | 0; e = (e << 30) | (e >>> 2);
    t = w14 ^ w9 ^ w3 ^ w1; w1 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w1 + K1) | 0; d = (d << 30) | (d >>> 2);
    t = w15 ^ w10 ^ w4 ^ w2; w2 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w2 + K1) | 0; c = (c << 30) | (c >>> 2);
    t = w0 ^ w11 ^ w5 ^ w3; w3 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w3 + K1) | 0; b = (b << 30) | (b >>> 2);
    t = w1 ^ w12 ^ w6 ^ w4; w4 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w4 + K1) | 0; a = (a << 30) | (a >>> 2);
    t = w2 ^ w13 ^ w7 ^ w5; w5 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w5 + K1) | 0; e = (e << 30) | (e >>> 2);
    t = w3 ^ w14 ^ w8 ^ w6; w6 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w6 + K1) | 0; d = (d << 30) | (d >>> 2);
    t = w4 ^ w15 ^ w9 ^ w7; w7 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w7 + K1) | 0; c = (c << 30) | (c >>> 2);
    // Rounds 40-59: f = Maj(b, c, d).
    t = w5 ^ w0 ^ w10 ^ w8; w8 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + w8 + K2) | 0; b = (b << 30) | (b >>> 2);
    t = w6 ^ w1 ^ w11 ^ w9; w9 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + w9 + K2) | 0; a = (a << 30) | (a >>> 2);
    t = w7 ^ w2 ^ w12 ^ w10; w10 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + w10 + K2) | 0; e = (e << 30) | (e >>> 2);
    t = w8 ^ w3 ^ w13 ^ w11; w11 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w11 + K2) | 0; d = (d << 30) | (d >>> 2);
    t = w9 ^ w4 ^ w14 ^ w12; w12 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + w12 + K2) | 0; c = (c << 30) | (c >>> 2);
    t = w10 ^ w5 ^ w15 ^ w13; w13 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + w13 + K2) | 0; b = (b << 30) | (b >>> 2);
    t = w11 ^ w6 ^ w0 ^ w14; w14 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + w14 + K2) | 0; a = (a << 30) | (a >>> 2);
    t = w12 ^ w7 ^ w1 ^ w15; w15 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + w15 + K2) | 0; e = (e << 30) | (e >>> 2);
    t = w13 ^ w8 ^ w2 ^ w0; w0 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w0 + K2) | 0; d = (d << 30) | (d >>> 2);
    t = w14 ^ w9 ^ w3 ^ w1; w1 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + w1 + K2) | 0; c = (c << 30) | (c >>> 2);
    t = w15 ^ w10 ^ w4 ^ w2; w2 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + w2 + K2) | 0; b = (b << 30) | (b >>> 2);
    t = w0 ^ w11 ^ w5 ^ w3; w3 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + w3 + K2) | 0; a = (a << 30) | (a >>> 2);
    t = w1 ^ w12 ^ w6 ^ w4; w4 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + w4 + K2) | 0; e = (e << 30) | (e >>> 2);
    t = w2 ^ w13 ^ w7 ^ w5; w5 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w5 + K2) | 0; d = (d << 30) | (d >>> 2);
    t = w3 ^ w14 ^ w8 ^ w6; w6 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + w6 + K2) | 0; c = (c << 30) | (c >>> 2);
    t = w4 ^ w15 ^ w9 ^ w7; w7 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + w7 + K2) | 0; b = (b << 30) | (b >>> 2);
    t = w5 ^ w0 ^ w10 ^ w8; w8 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + w8 + K2) | 0; a = (a << 30) | (a >>> 2);
    t = w6 ^ w1 ^ w11 ^ w9; w9 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + w9 + K2) | 0; e = (e << 30) | (e >>> 2);
    t = w7 ^ w2 ^ w12 ^ w10; w10 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + w10 + K2) | 0; d = (d << 30) | (d >>> 2);
    t = w8 ^ w3 ^ w13 ^ w11; w11 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + w11 + K2) | 0; c = (c << 30) | (c >>> 2);
    // Rounds 60-79: f = Parity(b, c, d).
    t = w9 ^ w4 ^ w14 ^ w12; w12 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w12 + K3) | 0; b = (b << 30) | (b >>> 2);
    t = w10 ^ w5 ^ w15 ^ w13; w13 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w13 + K3) | 0; a = (a << 30) | (a >>> 2);
    t = w11 ^ w6 ^ w0 ^ w14; w14 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w14 + K3) | 0; e = (e << 30) | (e >>> 2);
    t = w12 ^ w7 ^ w1 ^ w15; w15 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w15 + K3) | 0; d = (d << 30) | (d >>> 2);
    t = w13 ^ w8 ^ w2 ^ w0; w0 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w0 + K3) | 0; c = (c << 30) | (c >>> 2);
    t = w14 ^ w9 ^ w3 ^ w1; w1 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w1 + K3) | 0; b = (b << 30) | (b >>> 2);
    t = w15 ^ w10 ^ w4 ^ w2; w2 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w2 + K3) | 0; a = (a << 30) | (a >>> 2);
    t = w0 ^ w11 ^ w5 ^ w3; w3 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w3 + K3) | 0; e = (e << 30) | (e >>> 2);
    t = w1 ^ w12 ^ w6 ^ w4; w4 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w4 + K3) | 0; d = (d << 30) | (d >>> 2);
    t = w2 ^ w13 ^ w7 ^ w5; w5 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w5 + K3) | 0; c = (c << 30) | (c >>> 2);
    t = w3 ^ w14 ^ w8 ^ w6; w6 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w6 + K3) | 0; b = (b << 30) | (b >>> 2);
    t = w4 ^ w15 ^ w9 ^ w7; w7 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w7 + K3) | 0; a = (a << 30) | (a >>> 2);
    t = w5 ^ w0 ^ w10 ^ w8; w8 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w8 + K3) | 0; e = (e << 30) | (e >>> 2);
    t = w6 ^ w1 ^ w11 ^ w9; w9 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w9 + K3) | 0; d = (d << 30) | (d >>> 2);
    t = w7 ^ w2 ^ w12 ^ w10; w10 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w10 + K3) | 0; c = (c << 30) | (c >>> 2);
    t = w8 ^ w3 ^ w13 ^ w11; w11 = (t << 1) | (t >>> 31);
    e = (e + ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w11 + K3) | 0; b = (b << 30) | (b >>> 2);
    t = w9 ^ w4 ^ w14 ^ w12; w12 = (t << 1) | (t >>> 31);
    d = (d + ((e << 5) | (e >>> 27)) + (a ^ b ^ c) + w12 + K3) | 0; a = (a << 30) | (a >>> 2);
    t = w10 ^ w5 ^ w15 ^ w13; w13 = (t << 1) | (t >>> 31);
    c = (c + ((d << 5) | (d >>> 27)) + (e ^ a ^ b) + w13 + K3) | 0; e = (e << 30) | (e >>> 2);
    t = w11 ^ w6 ^ w0 ^ w14; w14 = (t << 1) | (t >>> 31);
    b = (b + ((c << 5) | (c >>> 27)) + (d ^ e ^ a) + w14 + K3) | 0; d = (d << 30) | (d >>> 2);
    t = w12 ^ w7 ^ w1 ^ w15; w15 = (t << 1) | (t >>> 31);
    a = (a + ((b << 5) | (b >>> 27)) + (c ^ d ^ e) + w15 + K3) | 0; c = (c << 30) | (c >>> 2);
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
}

/** A SHA-1 computation: whole blocks are hashed straight from the caller's bytes, the rest is buffered. */
class Sha1 implements Hasher {
  readonly #state = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  readonly #block = new Uint8Array(BLOCK_BYTES);
  #buffered = 0;
  #length = 0;
  #finished = false;

  update(data: Uint8Array): void {
    if (this.#finished) throw new Error("Cannot update SHA-1: digest() was already called");
    const n = data.length;
    this.#length += n;
    let i = 0;
    if (this.#buffered > 0) {
      i = Math.min(n, BLOCK_BYTES - this.#buffered);
      this.#block.set(data.subarray(0, i), this.#buffered);
      this.#buffered += i;
      if (this.#buffered < BLOCK_BYTES) return;
      compress(this.#state, this.#block, 0, BLOCK_BYTES);
      this.#buffered = 0;
    }
    const whole = i + ((n - i) & ~(BLOCK_BYTES - 1));
    if (whole > i) compress(this.#state, data, i, whole);
    if (whole < n) {
      this.#block.set(data.subarray(whole), 0);
      this.#buffered = n - whole;
    }
  }

  digest(): Uint8Array {
    if (this.#finished) throw new Error("Cannot digest SHA-1: digest() was already called");
    this.#finished = true;
    // Padding (FIPS 180-4 section 5.1.1): 0x80, zeros up to 56 mod 64, then the bit length big-endian.
    const block = this.#block;
    let used = this.#buffered;
    block[used++] = 0x80;
    if (used > 56) {
      block.fill(0, used);
      compress(this.#state, block, 0, BLOCK_BYTES);
      used = 0;
    }
    block.fill(0, used, 56);
    writeUint32(block, 56, Math.floor(this.#length / 0x20000000));
    writeUint32(block, 60, (this.#length % 0x20000000) * 8);
    compress(this.#state, block, 0, BLOCK_BYTES);
    const out = new Uint8Array(20);
    for (let k = 0; k < 5; k++) writeUint32(out, k * 4, this.#state[k]);
    return out;
  }
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

/**
 * Starts an incremental SHA-1.
 * @example const h = createSha1(); h.update(header); h.update(body); const id = h.digest();
 */
export function createSha1(): Hasher {
  return new Sha1();
}

/**
 * SHA-1 of `bytes` in one call.
 * @example sha1(new TextEncoder().encode("abc")) // a9993e36...
 */
export function sha1(bytes: Uint8Array): Uint8Array {
  const h = new Sha1();
  h.update(bytes);
  return h.digest();
}

// The few host globals the SDK uses, declared here so it compiles without the DOM or
// Node type libraries (browsers, React Native and Node all have these). Not emitted:
// the public .d.ts files mention none of them.
declare function setTimeout(fn: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function setInterval(fn: () => void, ms?: number): unknown;
declare function clearInterval(handle: unknown): void;
declare const console: { warn(...args: unknown[]): void; debug(...args: unknown[]): void };
declare class TextDecoder {
  decode(input: unknown): string;
}
declare class URL {
  constructor(url: string, base?: string);
  toString(): string;
}

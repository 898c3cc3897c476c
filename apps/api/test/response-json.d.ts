// In tests, response bodies are checked by assertions, not by the compiler.
declare global {
  interface Response {
    json(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
}

export {};

// In tests, response bodies are checked by assertions, not by the compiler: `await res.json()`
// is `any`, so a test reads `body.items[0].id` without a cast at each of its many uses.
declare global {
  interface Response {
    // biome-ignore lint/suspicious/noExplicitAny: what this declaration is for (above); tests only.
    json(): Promise<any>;
  }
}

export {};

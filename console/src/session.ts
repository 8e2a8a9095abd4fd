// The API key lives in sessionStorage only: gone when the tab closes, never in a URL, a cookie or
// localStorage, and never written anywhere else by the console.
const KEY = "warren.apiKey";

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

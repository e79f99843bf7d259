// A cache for translation results that also remembers the warnings the translation produced,
// so a cache hit reports them again: each proxy's result must list every problem affecting it,
// whether or not an earlier proxy already paid for the work.
import type { Warn } from './destination-rules.js';

export class WarningMemo<T> {
  private readonly entries = new Map<string, { value: T; warnings: string[] }>();

  get(key: string, warn: Warn, build: (warn: Warn) => T): T {
    let entry = this.entries.get(key);
    if (!entry) {
      const warnings: string[] = [];
      entry = { value: build((message) => warnings.push(message)), warnings };
      this.entries.set(key, entry);
    }
    for (const message of entry.warnings) warn(message);
    return entry.value;
  }
}

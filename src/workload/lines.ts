import { checkName, checkWeight, type Place } from "./target-spec.ts";

/**
 * The lines of a targets file, one at a time and trimmed, with the line number kept in `place`
 * for messages. A line may end in LF or CRLF. The text comes in chunks (a big file is read a
 * megabyte at a time, never whole) and is walked by index, so a million-line file never becomes a
 * million-element array.
 */
export class Lines {
  private text = "";
  private at = 0;
  private lastAt = 0;

  constructor(
    private readonly chunks: Iterator<string>,
    readonly place: Place,
  ) {}

  /** The next line, trimmed, or null after the last one. */
  next(): string | null {
    let end = this.text.indexOf("\n", this.at);
    while (end < 0 && this.more()) end = this.text.indexOf("\n", this.at);
    if (this.at >= this.text.length) return null;
    const stop = end < 0 ? this.text.length : end;
    const line = this.text.slice(this.at, stop).trim();
    this.lastAt = this.at;
    this.at = stop + 1;
    this.place.line++;
    return line;
  }

  /** Reads the line just read again on the next call. */
  back(): void {
    this.at = this.lastAt;
    this.place.line--;
  }

  /** Appends the next chunk, keeping the text from the last line read on (for `back`). */
  private more(): boolean {
    const chunk = this.chunks.next();
    if (chunk.done) return false;
    this.text = this.text.slice(this.lastAt) + chunk.value;
    this.at -= this.lastAt;
    this.lastAt = 0;
    return true;
  }
}

/** What comment lines say about the target they belong to: `# @name login`, `# @weight 5`. */
export class Extensions {
  name: string | null = null;
  weight = 1;

  /** Takes an extension from a comment line; any other comment says nothing. */
  read(place: Place, comment: string): void {
    const match = /^#\s*@(\S*)\s*(.*)$/.exec(comment);
    if (match === null) return;
    const [, key, value] = match;
    if (key === "name") this.name = checkName(place, value!);
    else if (key === "weight") this.weight = checkWeight(place, value!);
    else place.fail(`expected "# @name NAME" or "# @weight N", got ${JSON.stringify(comment)}`);
  }

  reset(): void {
    this.name = null;
    this.weight = 1;
  }

  /**
   * The next line that starts a target, or null at the end: blank lines are skipped, and comment
   * lines are read for the extensions they give that target (forgotten once it is emitted: `reset`).
   */
  nextTarget(lines: Lines): string | null {
    for (let line = lines.next(); line !== null; line = lines.next()) {
      if (line === "") continue;
      if (!line.startsWith("#")) return line;
      this.read(lines.place, line);
    }
    return null;
  }
}

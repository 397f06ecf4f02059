import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A small local journal of the in-use (`.tmp`) HDFS files a sink has open, kept in the sink's
 * data directory. The sink records a file before creating it and after renaming it, so after a
 * crash `openFiles()` names exactly the files that still need closing, wherever the bucket
 * template put them. Each record is one line: `+<path>` or `-<path>`. The journal rewrites
 * itself with just the open files once closed records dominate, so it stays small.
 */
export class OpenFileJournal {
  private readonly file: string;
  /** Files recorded open and not yet closed by this process. */
  private readonly open = new Set<string>();
  private lines = 0;
  /** Journal writes run one at a time, so a compaction never races an append. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.file = path.join(dir, 'open-files.journal');
  }

  /** In-use paths recorded as opened and never as closed. */
  async openFiles(): Promise<string[]> {
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const open = new Set<string>();
    for (const line of text.split('\n')) {
      if (line.startsWith('+')) open.add(line.slice(1));
      else if (line.startsWith('-')) open.delete(line.slice(1));
    }
    return [...open];
  }

  opened(file: string): Promise<void> {
    return this.serial(async () => {
      this.open.add(file);
      await this.append(`+${file}\n`);
    });
  }

  closed(file: string): Promise<void> {
    return this.serial(async () => {
      this.open.delete(file);
      if (this.lines > 1000 && this.lines > 4 * this.open.size) await this.rewrite([...this.open]);
      else await this.append(`-${file}\n`);
    });
  }

  /** Rewrites the journal with just `stillOpen` (after recovery). */
  reset(stillOpen: readonly string[]): Promise<void> {
    return this.serial(() => this.rewrite(stillOpen));
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const result = this.chain.then(work, work);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async rewrite(stillOpen: readonly string[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.new`;
    await writeFile(tmp, stillOpen.map((f) => `+${f}\n`).join(''));
    await rename(tmp, this.file);
    this.open.clear();
    for (const f of stillOpen) this.open.add(f);
    this.lines = stillOpen.length;
  }

  private async append(line: string): Promise<void> {
    await appendFile(this.file, line);
    this.lines++;
  }
}

import { readFile } from 'node:fs/promises';

/** Sample records read from a file: JSON lines (also log_to_json output) or CSV with a header row. */
export interface SampleRecords {
  format: 'jsonl' | 'csv';
  records: Record<string, unknown>[];
  /** Lines that were neither a JSON object nor a CSV row of the header's width. */
  skipped: number;
}

/** Reads a sample file for `sluice sql discover` and `sluice sql run`; the format is sniffed from the first line. */
export async function readSampleRecords(file: string): Promise<SampleRecords> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { format: 'jsonl', records: [], skipped: 0 };
  let skipped = 0;
  if (lines[0]!.trimStart().startsWith('{')) {
    const records: Record<string, unknown>[] = [];
    for (const line of lines) {
      try {
        const value = JSON.parse(line) as unknown;
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) records.push(value as Record<string, unknown>);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    return { format: 'jsonl', records, skipped };
  }
  const header = splitCsv(lines[0]!);
  const records: Record<string, unknown>[] = [];
  for (const line of lines.slice(1)) {
    const cells = splitCsv(line);
    if (cells.length !== header.length) {
      skipped++;
      continue;
    }
    records.push(Object.fromEntries(header.map((h, i) => [h, cells[i] === '' ? null : cells[i]])));
  }
  return { format: 'csv', records, skipped };
}

/** Splits one CSV line (RFC 4180 quotes, `""` inside quotes). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"' && cell === '') {
      quoted = true;
    } else if (ch === ',') {
      out.push(cell);
      cell = '';
    } else {
      cell += ch;
    }
  }
  out.push(cell);
  return out;
}

import { filterValues, type PageQuery } from './page-query.js';

// InfluxQL text for a source page. Identifiers and literals are escaped, never pasted raw.

export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function influxqlPage(q: PageQuery, retentionPolicy?: string): string {
  const cols = [...q.fields.map(quoteIdent), ...q.tags.map((t) => `${quoteIdent(t)}::tag`)];
  const from = retentionPolicy ? `${quoteIdent(retentionPolicy)}.${quoteIdent(q.measurement)}` : quoteIdent(q.measurement);
  const where = [`time >= ${Math.floor(q.start)}ms`];
  if (q.stop !== undefined) where.push(`time < ${Math.floor(q.stop)}ms`);
  for (const [tag, v] of Object.entries(q.tagFilter)) {
    const ors = filterValues(v).map((x) => `${quoteIdent(tag)} = ${quoteString(x)}`);
    where.push(ors.length === 1 ? ors[0] : `(${ors.join(' OR ')})`);
  }
  const offset = q.offset > 0 ? ` OFFSET ${q.offset}` : '';
  return `SELECT ${cols.join(', ')} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY time ASC LIMIT ${q.limit}${offset}`;
}

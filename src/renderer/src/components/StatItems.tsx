// Named figures in a <dl>: the Broadcast window's stream card and the Watch window's overlay list their stats alike,
// each item marked data-stat for tests and the benchmark to find.

/** One figure: its key (data-stat), what a person reads as its name, and its value as text. */
export type StatRow = readonly [key: string, label: string, value: string]

/** The items of a `<dl>`: one `<div class={itemClassName} data-stat={key}>` with `<dt>` and `<dd>` per row, in order. */
export function StatItems({ rows, itemClassName }: { rows: readonly StatRow[]; itemClassName: string }) {
  return (
    <>
      {rows.map(([key, label, value]) => (
        <div className={itemClassName} key={key} data-stat={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </>
  )
}

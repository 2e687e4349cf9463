// How many cases each fast-check property runs: 1 000 by default; FC_PROPERTY_RUNS raises it
// (`FC_PROPERTY_RUNS=10000 npx vitest run`).

/** Runs per property (at least 1). */
export const NUM_RUNS = Math.max(1, Number(process.env.FC_PROPERTY_RUNS ?? 1000) || 1000)


// The engine's HTTP status on a failed call: the adapter maps the expected ones (404: gone, 304: already stopped,
// 409: a removal under way) to the port's quiet answers and lets everything else through.
export function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** Runs `call`, treating the given statuses as "nothing to do". */
export async function ignoring(statuses: readonly number[], call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    const status = statusOf(err);
    if (status === undefined || !statuses.includes(status)) throw err;
  }
}

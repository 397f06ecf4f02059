/**
 * The stop of a runner that drains (SinkRunner, StageRunner): lets its `loop` keep working for up to
 * `drainMs` (the runner has set its draining flag and is woken by `wake`), then `requestStop`s it and
 * resolves once the loop has returned, so no call is running when it resolves.
 */
export async function drainThenStop(loop: Promise<void>, drainMs: number, wake: () => void, requestStop: () => void): Promise<void> {
  wake();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, drainMs);
  });
  await Promise.race([loop, deadline]);
  clearTimeout(timer);
  requestStop();
  wake();
  await loop;
}

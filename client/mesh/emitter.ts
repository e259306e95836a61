/**
 * A minimal typed event emitter for long-lived objects (sessions, links, clients), usable in
 * browsers, workers and Node alike. `on` returns the function that unsubscribes.
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Calls `listener` for every `event` until the returned function is called. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /**
   * Calls every listener of `event`. A listener that throws does not stop the others; its
   * error is reported (a listener bug must not take the mesh down).
   */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (err) {
        console.error(`listener for "${String(event)}" threw`, err);
      }
    }
  }
}

// Live updates by polling: cheap because an unchanged list answers 304 to If-None-Match.
// The period is localStorage "vigil.pollSeconds" (default 5); hidden tabs skip their turn.

export function pollSeconds() {
  const value = Number(localStorage.getItem("vigil.pollSeconds"));
  return value > 0 ? value : 5;
}

export function every(task) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await task();
      } catch {
        // the view shows its own errors; polling goes on
      }
    }
    if (!stopped) timer = setTimeout(tick, pollSeconds() * 1000);
  };
  timer = setTimeout(tick, pollSeconds() * 1000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

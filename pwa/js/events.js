// events.js: the app's one event bus, so the data layers can say "something changed" without knowing views.
//   queue   the outbox changed (detail: nothing; read the count again)
//   data    the replica changed after a sync round
//   status  the sync state changed (detail: sync.state)
//   notice  a message for the user (detail: {key, args})
//   arrived photos reached the server (their visits' `photos_arrived` changed there)
//   screen  a screen is about to be drawn in place of the one shown (its photos' blob URLs can go)
export const bus = new EventTarget();
export const emit = (type, detail) => bus.dispatchEvent(new CustomEvent(type, { detail }));
export const on = (type, fn) => bus.addEventListener(type, (event) => fn(event.detail));

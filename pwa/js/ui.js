// ui.js: a few DOM helpers instead of a framework. h('button', {class, 'data-test', onclick}, ...children)
// builds an element; strings become text nodes (never HTML), so nothing the server sends can inject markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    // Through the CSSOM: the Content-Security-Policy refuses style attributes, never el.style (backend/web/headers.py).
    else if (name === 'style') el.style.cssText = value;
    else if (name === 'value' || name === 'checked' || name === 'selected' || name === 'disabled') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** A labelled form row: the label wraps the control so the whole row is a tap target. */
export const field = (label, control, hint) => h('label', { class: 'field' }, h('span', {}, label), control, hint);

let toastTimer;
export function toast(message) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

export const empty = (text) => h('p', { class: 'empty' }, text);

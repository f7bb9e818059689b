// team/goaltree.js: the goal tree (#/goals/tree), the method's first chapter on screen: company → region →
// team → rep, each with its target, what it has allocated to the level below and what it has not, its
// attainment and the time elapsed. In place: allocate to the children, change a target, split a year or a
// quarter into months by seasonality, edit a unit's seasonality weights (managers), read a goal's history. One GET /goals/tree answer draws every level;
// its last copy is kept (coaching.readKept) so the tree reads offline, marked with its time, without writes.
// On a phone one level at a time under a breadcrumb; from 1024 px the whole tree beside the chosen node.
import { h, toast } from '../ui.js';
import * as i18n from '../i18n.js';
import * as coaching from '../coaching.js';
import { dayIn, periodsOf } from '../time.js';

const { t: shared, getLocale, money, number, dateTime } = i18n;
// The shared formatters (i18n.js); until a copy of it has them, the same rules here.
const percent1 = i18n.percent1 || ((fraction) => (fraction === null || fraction === undefined || !Number.isFinite(Number(fraction))) ? '—'
  : `${(Number(fraction) * 100).toLocaleString(getLocale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`);
const count = i18n.count || ((n) => (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) ? '—'
  : Math.round(Number(n)).toLocaleString(getLocale()));
const periodName = i18n.periodName || ((key) => key || '—');

const METRICS = ['revenue', 'visits', 'new_customers', 'conversion', 'satisfaction'];
const ADDITIVE = new Set(['revenue', 'visits', 'new_customers']);
const enc = encodeURIComponent;

// This screen's words; the app's shared ones (metric names, offline notices) come from i18n.js.
const WORDS = {
  'zh-CN': {
    title: '目标分解', metric: '指标', period: '周期', month: '月', quarter: '季度', year: '年',
    prev: '上一期', next: '下一期', target: '目标', allocated: '已分配', unallocated: '未分配', actual: '已完成',
    attainment: '达成率', elapsed: '时间进度', gap: '进度差', gapPoints: '{0} 个百分点', split: '已拆分到各月：{0}',
    threshold: '比率指标按阈值逐级下达，不汇总', nogoal: '未设目标', children: '下级', people: '销售代表',
    noChildren: '下面没有组织或销售代表', allocate: '分配给下级', allocSave: '保存分配', allocTotal: '分配合计 {0} · 未分配 {1}', allocOver: '分配合计 {0} · 超出 {1}',
    allocHint: '只保存改动过的数字；没填的保持原样', edit: '修改目标', editSave: '保存目标', setTarget: '设定目标',
    create: '设定这一期的目标', splitTitle: '按季节性拆分到月', splitGo: '按季节性拆分', splitDone: '已拆分为 {0} 个月',
    splitHint: '按 {0} 的季节性权重把这一期的目标拆到每个月；已有的月目标会被更新',
    history: '修改记录', historyNone: '还没有修改记录', historyLine: '{0} {1}：{2} → {3}', historyFirst: '{0} {1}：{2}',
    'via.create': '设定', 'via.update': '修改', 'via.allocate': '分配', 'via.split': '按季节性拆分',
    saved: '已保存', cached: '离线：显示 {0} 获取的目标树，联网后才能修改', offline: '当前离线，这台手机上还没有这份目标树，联网后再看',
    failed: '目标树加载失败，请稍后再试', asof: '数据截至 {0}', inactive: '已停用', weights: '季节性权重',
    'kind.company': '公司', 'kind.region': '区域', 'kind.team': '团队', 'kind.rep': '销售代表', 'kind.lead': '主管', 'kind.manager': '经理', 'kind.admin': '管理员',
    'err.over_allocated': '分配合计 {0} 超过目标 {1}，多了 {2}', 'err.over_allocated.target': '下级目标合计 {0} 超过这个目标 {1}，多了 {2}',
    'err.over_allocated.parent': '上级目标 {1} 分给下级的合计会变成 {0}，多了 {2}',
    'err.money': '请输入金额，最多两位小数，如 120000 或 120000.50', 'err.count': '请输入整数，如 60',
    'err.conversion': '请输入 0 到 100 之间的百分比，如 30', 'err.satisfaction': '请输入 1 到 5 之间的分数，如 4.2',
    'err.forbidden': '你不能修改这个目标', 'err.not_found': '这个目标已不存在，请刷新', 'err.taken': '这一期已有目标，请刷新',
    'err.not_a_child': '只能分配给直属的下级', 'err.other': '保存失败：{0}', 'err.offline': '当前离线：修改目标需要联网',
    tree: '组织', open: '查看 {0}',
    weightsTitle: '编辑季节性权重', weightsHint: '年度或季度目标按每个月的权重拆到各月；下级单位没有自己的权重时沿用这里的',
    weightsSum: '权重合计 {0}', weightsOwn: '这是 {0} 自己的权重', weightsFrom: '沿用 {0} 的权重，保存后 {1} 有自己的权重',
    weightsFlat: '还没有设置权重：按月平均拆分', weightsSave: '保存权重', weightsLoading: '正在读取权重…', weightsAbove: '上级单位',
    'err.weight': '请输入不小于 0 的数字，最多四位小数，如 1.2', 'err.weight.range': '每个月的权重须在 0 到 1,000,000 之间',
    'err.weights.zero': '至少要有一个月的权重大于 0', 'err.weights.forbidden': '你不能修改这个单位的季节性权重',
  },
  en: {
    title: 'Goal tree', metric: 'Metric', period: 'Period', month: 'Month', quarter: 'Quarter', year: 'Year',
    prev: 'Previous', next: 'Next', target: 'Target', allocated: 'Allocated', unallocated: 'Unallocated', actual: 'Done',
    attainment: 'Attainment', elapsed: 'Time elapsed', gap: 'Ahead/behind', gapPoints: '{0} points', split: 'Split into months: {0}',
    threshold: 'A ratio cascades as a threshold: nothing adds up', nogoal: 'No target', children: 'Units below', people: 'Reps',
    noChildren: 'No units or reps below', allocate: 'Allocate to the level below', allocSave: 'Save allocation',
    allocTotal: 'Allocated {0} · unallocated {1}', allocOver: 'Allocated {0} · over by {1}', allocHint: 'Only changed figures are saved; blank ones stay as they are',
    edit: 'Change the target', editSave: 'Save target', setTarget: 'Set a target', create: 'Set a target for this period',
    splitTitle: 'Split into months by seasonality', splitGo: 'Split by seasonality', splitDone: 'Split into {0} months',
    splitHint: 'Cuts this period\'s target into months by the seasonality weights of {0}; month targets already set are updated',
    history: 'Changes', historyNone: 'No changes yet', historyLine: '{0} {1}: {2} → {3}', historyFirst: '{0} {1}: {2}',
    'via.create': 'set', 'via.update': 'changed', 'via.allocate': 'allocated', 'via.split': 'split by seasonality',
    saved: 'Saved', cached: 'Offline: the goal tree as fetched {0}; changes need a connection',
    offline: 'You are offline and this goal tree is not on this phone yet', failed: 'Could not load the goal tree; try again later',
    asof: 'As of {0}', inactive: 'inactive', weights: 'Seasonality weights',
    'kind.company': 'Company', 'kind.region': 'Region', 'kind.team': 'Team', 'kind.rep': 'Rep', 'kind.lead': 'Lead', 'kind.manager': 'Manager', 'kind.admin': 'Admin',
    'err.over_allocated': 'The allocation adds up to {0}, over the target of {1} by {2}',
    'err.over_allocated.target': 'The targets below add up to {0}, over this target of {1} by {2}',
    'err.over_allocated.parent': 'The target above ({1}) would have {0} allocated below it, {2} too much',
    'err.money': 'Enter an amount with at most two decimals, such as 120000 or 120000.50', 'err.count': 'Enter a whole number, such as 60',
    'err.conversion': 'Enter a percentage from 0 to 100, such as 30', 'err.satisfaction': 'Enter a score from 1 to 5, such as 4.2',
    'err.forbidden': 'You may not change this goal', 'err.not_found': 'This goal is gone; refresh', 'err.taken': 'This period has a target already; refresh',
    'err.not_a_child': 'Only the units and reps directly below can be allocated to', 'err.other': 'Not saved: {0}',
    'err.offline': 'You are offline: changing goals needs a connection', tree: 'Organisation', open: 'Open {0}',
    weightsTitle: 'Edit the seasonality weights', weightsHint: 'A year\'s or a quarter\'s target is split into months by each month\'s weight; units below without weights of their own use these',
    weightsSum: 'Weights total {0}', weightsOwn: 'These are {0}\'s own weights', weightsFrom: 'Inherited from {0}; saving gives {1} weights of its own',
    weightsFlat: 'No weights set: the split is even', weightsSave: 'Save weights', weightsLoading: 'Reading the weights…', weightsAbove: 'a unit above',
    'err.weight': 'Enter a number of at least 0 with at most four decimals, such as 1.2', 'err.weight.range': 'Each month\'s weight is from 0 to 1,000,000',
    'err.weights.zero': 'At least one month needs a weight above 0', 'err.weights.forbidden': 'You may not change this unit\'s seasonality weights',
  },
};
function w(key, ...args) {
  const text = (WORDS[getLocale()] || WORDS['zh-CN'])[key] ?? WORDS['zh-CN'][key] ?? key;
  return args.length ? text.replace(/\{(\d)\}/g, (_, i) => args[i] ?? '') : text;
}

/** A figure of the metric as people read it (conversion is a fraction on the wire). */
export function shownFigure(metric, value) {
  if (value === null || value === undefined) return '—';
  if (metric === 'revenue') return money(value);
  if (metric === 'conversion') return percent1(value);
  if (metric === 'satisfaction') return number(value, 2);
  return count(value);
}

/** The share of the period's working days already gone: what attainment is held against. */
export function elapsedShare(figures) {
  if (!figures || !figures.working_days_total) return null;
  return (figures.working_days_total - figures.working_days_left) / figures.working_days_total;
}

// ---- periods -------------------------------------------------------------------------------------------

const kindOf = (key) => (/-Q\d$/.test(key) ? 'quarter' : /^\d{4}-\d{2}$/.test(key) ? 'month' : 'year');

function step(key, by) {
  const [y, rest] = key.split('-');
  const year = Number(y);
  if (kindOf(key) === 'year') return String(year + by);
  if (kindOf(key) === 'quarter') {
    const n = (year * 4 + Number(rest.slice(1)) - 1) + by;
    return `${Math.floor(n / 4)}-Q${(n % 4) + 1}`;
  }
  const n = year * 12 + Number(rest) - 1 + by;
  return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
}

/** The period of `kind` that contains the first day of `key`. */
function asKind(key, kind) {
  const [y, rest] = key.split('-');
  const month = kindOf(key) === 'year' ? 1 : kindOf(key) === 'quarter' ? (Number(rest.slice(1)) - 1) * 3 + 1 : Number(rest);
  return periodsOf(`${y}-${String(month).padStart(2, '0')}-01`)[kind];
}

// ---- what the user typed, as the API takes it -----------------------------------------------------------

/** The typed target as the API's value, or `{error}` in words. Conversion is typed as a percentage. */
function parseTarget(metric, text) {
  const raw = String(text).trim().replace(/[,，\s¥]/g, '');
  if (metric === 'revenue') return /^\d{1,13}(\.\d{1,2})?$/.test(raw) ? { value: raw } : { error: w('err.money') };
  if (metric === 'conversion') {
    const n = Number(raw);
    return /^\d{1,3}(\.\d{1,2})?$/.test(raw) && n <= 100 ? { value: String(Math.round(n * 100) / 10000) } : { error: w('err.conversion') };
  }
  if (metric === 'satisfaction') {
    const n = Number(raw);
    return /^\d(\.\d{1,2})?$/.test(raw) && n >= 1 && n <= 5 ? { value: raw } : { error: w('err.satisfaction') };
  }
  return /^\d{1,9}$/.test(raw) ? { value: raw } : { error: w('err.count') };
}

/** A target as typed into an input: conversion as a percentage, the rest as the API writes them. */
function typed(metric, value) {
  if (value === null || value === undefined) return '';
  if (metric === 'conversion') return String(Math.round(Number(value) * 10000) / 100);
  return String(value);
}

const cents = (value) => Math.round(Number(value) * 100);

/** A refused write's field error in words (the screen's own, naming the figures), never a code. */
function fieldError(answer, error, metric, typedTarget) {
  if (answer.offline) return w('err.offline');
  if (answer.status === 403) return w('err.forbidden');
  if (answer.status === 404) return w('err.not_found');
  const code = error?.code || answer.data?.code;
  if (code === 'over_allocated') {
    const d = answer.data || {};
    // A changed target refused for its own children (set too low) or for its parent's (too high).
    const own = typedTarget !== undefined && Number(d.target) === Number(typedTarget);
    return w(error?.field !== 'target' ? 'err.over_allocated' : own ? 'err.over_allocated.target' : 'err.over_allocated.parent',
      shownFigure(metric, d.allocated), shownFigure(metric, d.target), shownFigure(metric, d.over_by));
  }
  if (['wrong_type', 'out_of_range', 'invalid_format', 'required'].includes(code)) {
    return w(metric === 'revenue' ? 'err.money' : metric === 'conversion' ? 'err.conversion'
      : metric === 'satisfaction' ? 'err.satisfaction' : 'err.count');
  }
  if (code === 'taken' || code === 'not_a_child') return w(`err.${code}`);
  return w('err.other', error?.message || answer.message || shared('coach.failed'));
}

// ---- the screen -----------------------------------------------------------------------------------------

export async function render(params, ctx) {
  const q = params.query;
  const current = periodsOf(dayIn(ctx.timeZone));
  const metric = METRICS.includes(q.get('metric')) ? q.get('metric') : 'revenue';
  // Managers cascade the year; a lead hands the team's month to the reps.
  const period = q.get('period') || (ctx.user.role === 'lead' ? current.month : current.year);
  const unit = q.get('unit') || '';
  const query = coaching.queryString({ unit_id: unit, metric, period });
  const answer = await coaching.readKept(`/api/v1/goals/tree${query}`);
  const go = (changes) => {
    const next = new URLSearchParams({ metric, period, ...(unit ? { unit } : {}), ...(q.get('node') ? { node: q.get('node') } : {}), ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    ctx.navigate(`#/goals/tree?${next}`);
  };

  const screen = h('section', { class: 'screen wide gt-screen', 'data-test': 'goal-tree', 'data-metric': metric, 'data-period': period },
    h('h1', {}, w('title')), pickers(metric, period, go));
  if (!answer.ok && !answer.cachedAt) {
    screen.append(h('p', { class: answer.offline ? 'banner' : 'error', role: 'status', 'data-test': 'gt-unavailable' },
      answer.offline ? w('offline') : fieldError(answer, answer.data?.errors?.[0], metric)));
    return screen;
  }
  const tree = answer.data;
  const live = answer.ok;
  if (!live) screen.append(h('p', { class: 'banner', role: 'status', 'data-test': 'gt-cached' }, w('cached', dateTime(answer.cachedAt))));

  const nodes = new Map(tree.nodes.map((n) => [n.subject_id, n]));
  const children = new Map();
  for (const n of tree.nodes) {
    if (n.parent_id === null) continue;
    if (!children.has(n.parent_id)) children.set(n.parent_id, []);
    children.get(n.parent_id).push(n);
  }
  const root = tree.nodes.find((n) => n.parent_id === null);
  const chosen = nodes.get(q.get('node')) || root;
  const path = [];
  for (let n = chosen; n; n = n.parent_id ? nodes.get(n.parent_id) : null) path.unshift(n);
  const select = (n) => go({ node: n.subject_id === root.subject_id ? '' : n.subject_id });
  const redraw = () => ctx.refresh();

  screen.append(h('div', { class: 'gt' },
    h('nav', { class: 'gt-tree card', 'aria-label': w('tree'), 'data-test': 'gt-tree' }, treeList(root, children, path, chosen, tree.metric, select)),
    h('div', { class: 'gt-detail' },
      breadcrumb(path, select),
      detail(chosen, children.get(chosen.subject_id) || [], tree, nodes, { live, select, redraw, ctx }))),
  h('p', { class: 'hint' }, w('asof', dateTime(tree.as_of))));
  // `data-drawn` (performance.now()) once the figures are in the page and laid out, as a report chart marks
  // itself drawn: the time from the answer arriving to the tree on screen can be read off the page.
  requestAnimationFrame(() => {
    if (!screen.isConnected) return;
    screen.getBoundingClientRect();
    screen.dataset.drawn = String(performance.now());
  });
  return screen;
}

function pickers(metric, period, go) {
  const kind = kindOf(period);
  const metricSelect = h('select', { 'data-test': 'gt-metric', onchange: (e) => go({ metric: e.target.value }) },
    METRICS.map((m) => h('option', { value: m, selected: m === metric }, shared(`metric.${m}`))));
  return h('div', { class: 'gt-pickers' },
    h('label', { class: 'field' }, h('span', {}, w('metric')), metricSelect),
    h('div', { class: 'field' }, h('span', {}, w('period')),
      h('div', { class: 'gt-period' },
        h('div', { class: 'tabs', role: 'group' }, ['month', 'quarter', 'year'].map((k) =>
          h('button', { class: `tab${k === kind ? ' on' : ''}`, 'data-test': 'gt-period-kind', 'data-kind': k,
            'aria-pressed': String(k === kind), onclick: () => go({ period: asKind(period, k) }) }, w(k)))),
        h('div', { class: 'gt-stepper' },
          h('button', { class: 'btn btn-quiet gt-step', 'aria-label': w('prev'), 'data-test': 'gt-prev', onclick: () => go({ period: step(period, -1) }) }, '‹'),
          h('strong', { 'data-test': 'gt-period' }, periodName(period)),
          h('button', { class: 'btn btn-quiet gt-step', 'aria-label': w('next'), 'data-test': 'gt-next', onclick: () => go({ period: step(period, 1) }) }, '›')))));
}

/** The whole tree (a laptop's left pane): every unit, and the people of the units on the chosen path. */
function treeList(root, children, path, chosen, metric, select) {
  const onPath = new Set(path.map((n) => n.subject_id));
  const item = (n, depth) => {
    const below = children.get(n.subject_id) || [];
    const shownBelow = below.filter((c) => c.subject_type === 'unit' || onPath.has(n.subject_id));
    return h('li', {},
      h('button', { class: `gt-item${n === chosen ? ' on' : ''}`, 'data-test': 'gt-tree-item', 'data-subject': n.subject_id,
        'aria-current': n === chosen ? 'true' : null, style: `padding-left:${0.5 + depth * 0.875}rem`, onclick: () => select(n) },
        h('span', {}, n.name), h('small', {}, n.figures ? percent1(n.figures.attainment) : n.goal ? '' : w('nogoal'))),
      shownBelow.length ? h('ul', {}, shownBelow.map((c) => item(c, depth + 1))) : null);
  };
  return h('ul', { class: 'gt-list' }, item(root, 0));
}

function breadcrumb(path, select) {
  return h('ol', { class: 'gt-crumbs', 'data-test': 'gt-breadcrumb' }, path.map((n, i) => h('li', {},
    i === path.length - 1 ? h('strong', { 'aria-current': 'page' }, n.name)
      : h('button', { class: 'btn-link', 'data-test': 'gt-crumb', 'data-subject': n.subject_id, onclick: () => select(n) }, n.name))));
}

/** One figure as a labelled cell, with its raw value kept for tests and tools. */
const cell = (key, label, text, value) => h('div', { class: 'gt-fig', 'data-test': 'gt-figure', 'data-key': key, 'data-value': value ?? '' },
  h('span', {}, label), h('b', {}, text));

function figuresOf(n, metric) {
  const goal = n.goal;
  const f = n.figures;
  const additive = ADDITIVE.has(metric);
  // Only a unit hands its target down; a person's goal has nothing to allocate.
  const cascades = additive && n.subject_type === 'unit';
  const elapsed = additive ? elapsedShare(f) : null;
  const gap = elapsed !== null && f?.attainment != null ? (f.attainment - elapsed) * 100 : null;
  const gapText = gap === null ? '—' : w('gapPoints', `${gap > 0 ? '+' : ''}${gap.toLocaleString(getLocale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 })}`);
  return [
    cell('target', w('target'), shownFigure(metric, goal?.target ?? f?.target), goal?.target ?? f?.target),
    cascades ? cell('allocated', w('allocated'), shownFigure(metric, goal?.allocated), goal?.allocated) : null,
    cascades ? cell('unallocated', w('unallocated'), shownFigure(metric, goal?.unallocated), goal?.unallocated) : null,
    cell('actual', w('actual'), shownFigure(metric, f?.actual), f?.actual),
    cell('attainment', w('attainment'), percent1(f?.attainment), f?.attainment),
    additive ? cell('elapsed', w('elapsed'), percent1(elapsed), elapsed) : null,
    additive ? cell('gap', w('gap'), gapText, gap === null ? null : gap.toFixed(1)) : null,
  ];
}

function detail(n, below, tree, nodes, env) {
  const metric = tree.metric;
  const parent = n.parent_id ? nodes.get(n.parent_id) : null;
  const kind = w(`kind.${n.kind}`);
  const head = h('div', { class: 'card gt-node', 'data-test': 'gt-node', 'data-subject': n.subject_id, 'data-kind': n.kind },
    h('div', { class: 'goal-head' }, h('h2', { class: 'gt-name' }, n.name),
      h('span', { class: 'chip' }, kind), n.active ? null : h('span', { class: 'chip' }, w('inactive'))),
    n.goal || n.figures ? h('div', { class: 'gt-figs' }, figuresOf(n, metric)) : h('p', { class: 'hint', 'data-test': 'gt-nogoal' }, w('nogoal')),
    n.split ? h('p', { class: 'hint', 'data-test': 'gt-split-total' }, w('split', shownFigure(metric, n.split))) : null,
    ADDITIVE.has(metric) ? null : h('p', { class: 'hint' }, w('threshold')),
    env.live ? targetForm(n, parent, tree, env) : null);
  return h('div', {},
    head,
    childList(n, below, tree, env),
    env.live && n.goal && n.subject_type === 'unit' && below.length ? allocationForm(n, below, metric, env) : null,
    env.live && n.goal && kindOf(tree.period) !== 'month' ? splitForm(n, tree, env) : null,
    // Seasonality is a manager's rule (PUT /seasonality: managers and admins, for the units they run).
    env.live && n.subject_type === 'unit' && ['manager', 'admin'].includes(env.ctx.user?.role) ? weightsForm(n, tree, env) : null,
    n.goal ? historyPanel(n, metric) : null);
}

/** The level below: tap to go down (the phone's drill-down); each with its target and attainment. */
function childList(n, below, tree, env) {
  if (n.subject_type !== 'unit') return null;
  if (!below.length) return h('p', { class: 'empty' }, w('noChildren'));
  const metric = tree.metric;
  return h('div', { class: 'gt-children' },
    h('h2', {}, below.every((c) => c.subject_type === 'user') ? w('people') : w('children')),
    below.map((c) => {
      const elapsed = ADDITIVE.has(metric) ? elapsedShare(c.figures) : null;
      const behind = elapsed !== null && c.figures?.attainment != null && c.figures.attainment < elapsed;
      return h('button', { class: `row gt-child${behind ? ' behind' : ''}`, 'data-test': 'gt-child', 'data-subject': c.subject_id,
        'aria-label': w('open', c.name), onclick: () => env.select(c) },
        h('div', { class: 'row-main' }, h('strong', {}, c.name),
          h('small', {}, c.goal || c.figures
            ? `${w('target')} ${shownFigure(metric, c.goal?.target ?? c.figures?.target)}` +
              (ADDITIVE.has(metric) && c.goal && c.subject_type === 'unit' ? ` · ${w('unallocated')} ${shownFigure(metric, c.goal.unallocated)}` : '')
            : w('nogoal'))),
        h('div', { class: 'row-side' },
          h('b', { class: 'gt-att' }, c.figures ? percent1(c.figures.attainment) : '—'),
          elapsed !== null ? h('small', { class: 'hint' }, `${w('elapsed')} ${percent1(elapsed)}`) : null),
        h('span', { class: 'gt-chevron', 'aria-hidden': 'true' }, '›'));
    }));
}

/** Change the node's target, or set one where there is none (under the parent's goal when it has one). */
function targetForm(n, parent, tree, env) {
  const metric = tree.metric;
  const input = h('input', { type: 'text', inputmode: 'decimal', 'data-test': 'gt-target-input', value: typed(metric, n.goal?.target),
    'aria-describedby': `gt-target-error-${n.subject_id}` });
  const error = h('p', { class: 'error', id: `gt-target-error-${n.subject_id}`, 'data-test': 'gt-target-error', role: 'alert' });
  const label = n.goal ? w('edit') : w('create');
  const save = h('button', { class: 'btn btn-primary', 'data-test': 'gt-target-save', onclick: async () => {
    const parsed = parseTarget(metric, input.value);
    if (parsed.error) { error.textContent = parsed.error; input.setAttribute('aria-invalid', 'true'); return; }
    save.disabled = true;
    const answer = n.goal
      ? await coaching.request('PATCH', `/api/v1/goals/${enc(n.goal.id)}`, { target: parsed.value })
      : await coaching.request('POST', '/api/v1/goals', { subject_type: n.subject_type, subject_id: n.subject_id, metric,
        period: tree.period, target: parsed.value, ...(parent?.goal ? { parent_id: parent.goal.id } : {}) });
    save.disabled = false;
    if (answer.ok) { toast(w('saved')); env.redraw(); return; }
    const first = (answer.data?.errors || [])[0];
    error.textContent = fieldError(answer, first, metric, parsed.value);
    input.setAttribute('aria-invalid', 'true');
  } }, n.goal ? w('editSave') : w('setTarget'));
  return h('details', { class: 'gt-edit', 'data-test': 'gt-target-form', open: !n.goal || null },
    h('summary', {}, label),
    h('label', { class: 'field' }, h('span', {}, metric === 'conversion' ? `${w('target')} (%)` : w('target')), input),
    error, save);
}

/** The targets of the level below in one form: the running total and what is left, over-allocation shown at
 *  the total as it is typed, and the server's refusal at the field it names. */
function allocationForm(n, below, metric, env) {
  const additive = ADDITIVE.has(metric);
  const inputs = below.map((c) => h('input', { type: 'text', inputmode: 'decimal', 'data-test': 'gt-alloc-input', 'data-subject': c.subject_id,
    value: typed(metric, c.goal?.target), 'aria-describedby': `gt-alloc-error-${c.subject_id}` }));
  const errors = below.map((c) => h('p', { class: 'error', id: `gt-alloc-error-${c.subject_id}`, 'data-test': 'gt-alloc-field-error' }));
  const total = h('p', { class: 'gt-total', 'data-test': 'gt-alloc-total', role: 'status' });
  const totalError = h('p', { class: 'error', 'data-test': 'gt-alloc-error', role: 'alert' });
  const clear = () => { for (const e of [...errors, totalError]) e.textContent = ''; for (const i of inputs) i.removeAttribute('aria-invalid'); };
  /** The figures typed, in cents, for the running total (children left blank keep what they have). */
  const recount = () => {
    if (!additive) return;
    let sum = 0;
    below.forEach((c, i) => {
      const parsed = parseTarget(metric, inputs[i].value);
      sum += parsed.value !== undefined ? cents(parsed.value) : cents(c.goal?.target || 0);
    });
    // Other subjects' goals under this parent that are not in this tree (none, as a rule) count as well.
    const left = cents(n.goal.target) - sum;
    total.textContent = left < 0 ? w('allocOver', shownFigure(metric, sum / 100), shownFigure(metric, -left / 100))
      : w('allocTotal', shownFigure(metric, sum / 100), shownFigure(metric, left / 100));
    total.dataset.allocated = (sum / 100).toFixed(2);
    if (left < 0) {
      totalError.textContent = w('err.over_allocated', shownFigure(metric, sum / 100), shownFigure(metric, n.goal.target), shownFigure(metric, -left / 100));
    } else if (totalError.dataset.server !== '1') totalError.textContent = '';
  };
  for (const input of inputs) input.addEventListener('input', () => { totalError.dataset.server = ''; recount(); });
  const save = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'gt-alloc-save', onclick: async () => {
    clear();
    const sent = [];
    let bad = false;
    below.forEach((c, i) => {
      const text = inputs[i].value.trim();
      if (!text) return;
      const parsed = parseTarget(metric, text);
      if (parsed.error) { errors[i].textContent = parsed.error; inputs[i].setAttribute('aria-invalid', 'true'); bad = true; return; }
      if (c.goal && cents(parsed.value) === cents(c.goal.target) && metric !== 'conversion') return;
      if (c.goal && metric === 'conversion' && Number(parsed.value) === Number(c.goal.target)) return;
      sent.push({ index: i, body: { subject_type: c.subject_type, subject_id: c.subject_id, target: parsed.value } });
    });
    if (bad || !sent.length) { recount(); return; }
    save.disabled = true;
    const answer = await coaching.request('POST', `/api/v1/goals/${enc(n.goal.id)}/allocate`, { allocations: sent.map((s) => s.body) });
    save.disabled = false;
    if (answer.ok) { toast(w('saved')); env.redraw(); return; }
    const list = answer.data?.errors || [];
    if (!list.length) { totalError.textContent = fieldError(answer, null, metric); return; }
    for (const e of list) {
      const at = /^allocations\.(\d+)\./.exec(e.field || '');
      const row = at ? sent[Number(at[1])]?.index : undefined;
      if (row !== undefined) {
        errors[row].textContent = fieldError(answer, e, metric);
        inputs[row].setAttribute('aria-invalid', 'true');
      } else {
        totalError.textContent = fieldError(answer, e, metric);
        totalError.dataset.server = '1';
      }
    }
  } }, w('allocSave'));
  const rows = below.map((c, i) => h('label', { class: 'gt-alloc-row field' },
    h('span', {}, c.name, c.goal ? h('small', { class: 'hint' }, ` ${shownFigure(metric, c.goal.target)}`) : null), inputs[i], errors[i]));
  const form = h('details', { class: 'card gt-alloc', 'data-test': 'gt-alloc-form', open: true },
    h('summary', {}, w('allocate')),
    h('p', { class: 'hint' }, w('allocHint')),
    rows, additive ? total : null, totalError, save);
  recount();
  return form;
}

/** Split a year's or quarter's goal into month goals by the subject's seasonality (the unit's, a rep's team's). */
function splitForm(n, tree, env) {
  const metric = tree.metric;
  const result = h('div', { 'data-test': 'gt-split-result' });
  const error = h('p', { class: 'error', role: 'alert', 'data-test': 'gt-split-error' });
  const weights = h('p', { class: 'hint', 'data-test': 'gt-weights' });
  const unitId = n.subject_type === 'unit' ? n.subject_id : n.parent_id;
  // Read each time it opens: the weights may have been edited since.
  const panel = h('details', { class: 'card gt-split', 'data-test': 'gt-split-form', ontoggle: async () => {
    if (!panel.open) return;
    const answer = await coaching.request('GET', `/api/v1/seasonality/${enc(unitId)}`);
    if (answer.ok) weights.textContent = `${w('weights')}: ${answer.data.weights.map((x) => number(x, 2)).join(' · ')}`;
  } },
  h('summary', {}, w('splitTitle')),
  h('p', { class: 'hint' }, w('splitHint', n.subject_type === 'unit' ? n.name : (nodes(tree).get(unitId)?.name || ''))),
  weights,
  h('button', { class: 'btn', 'data-test': 'gt-split', onclick: async (e) => {
    e.target.disabled = true;
    const answer = await coaching.request('POST', `/api/v1/goals/${enc(n.goal.id)}/split`);
    e.target.disabled = false;
    if (!answer.ok) { error.textContent = fieldError(answer, answer.data?.errors?.[0], metric); return; }
    toast(w('splitDone', answer.data.children.length));
    result.replaceChildren(h('ul', { class: 'gt-months' }, answer.data.children.map((c) =>
      h('li', { 'data-test': 'gt-month', 'data-period': c.period }, h('span', {}, periodName(c.period)), h('b', {}, shownFigure(metric, c.target))))));
  } }, w('splitGo')),
  error, result);
  return panel;
}

const nodes = (tree) => new Map(tree.nodes.map((x) => [x.subject_id, x]));

/** A refused weight (or the weights as a whole) in words, never a code. */
function weightError(answer, error) {
  if (answer.offline) return w('err.offline');
  if (answer.status === 403 || answer.status === 404) return w('err.weights.forbidden');
  const code = error?.code;
  if (error?.field === 'weights' && code === 'out_of_range') return w('err.weights.zero');
  if (code === 'out_of_range') return w('err.weight.range');
  if (code === 'wrong_type' || code === 'required') return w('err.weight');
  return w('err.other', error?.message || answer.message || shared('coach.failed'));
}

/** The unit's twelve month weights (its own, or those it inherits), edited in place: a number per month under
 *  the month's name, their total as typed, saved with PUT /seasonality/{unit}; a refusal is shown at the month
 *  it names (`weights.3` is April), or under the form for the weights as a whole. */
function weightsForm(n, tree, env) {
  const monthName = (i) => new Intl.DateTimeFormat(getLocale(), { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2001, i, 1)));
  const inputs = Array.from({ length: 12 }, (_, i) => h('input', { type: 'number', min: '0', step: 'any', inputmode: 'decimal',
    'data-test': 'gt-weight-input', 'data-month': String(i + 1), 'aria-describedby': `gt-weight-error-${n.subject_id}-${i + 1}` }));
  const errors = inputs.map((_, i) => h('p', { class: 'error', id: `gt-weight-error-${n.subject_id}-${i + 1}`,
    'data-test': 'gt-weight-error', 'data-month': String(i + 1) }));
  const sum = h('p', { class: 'gt-total', 'data-test': 'gt-weights-sum', role: 'status' });
  const source = h('p', { class: 'hint', 'data-test': 'gt-weights-source' }, w('weightsLoading'));
  const error = h('p', { class: 'error', role: 'alert', 'data-test': 'gt-weights-error' });
  const recount = () => {
    const total = inputs.reduce((s, i) => s + (i.value !== '' && Number.isFinite(Number(i.value)) ? Number(i.value) : 0), 0);
    sum.textContent = w('weightsSum', number(total, 4));
    sum.dataset.value = String(total);
  };
  const clear = () => { for (const e of [...errors, error]) e.textContent = ''; for (const i of inputs) i.removeAttribute('aria-invalid'); };
  const show = (profile) => {
    profile.weights.forEach((x, i) => { inputs[i].value = String(Number(x)); });
    const from = profile.set_on ? nodes(tree).get(profile.set_on)?.name || w('weightsAbove') : null;
    source.textContent = from === null ? w('weightsFlat') : profile.set_on === n.subject_id ? w('weightsOwn', n.name) : w('weightsFrom', from, n.name);
    panel.dataset.loaded = '1';
    recount();
  };
  for (const input of inputs) input.addEventListener('input', recount);
  const save = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'gt-weights-save', onclick: async () => {
    clear();
    save.disabled = true;
    const answer = await coaching.request('PUT', `/api/v1/seasonality/${enc(n.subject_id)}`, { weights: inputs.map((i) => i.value.trim()) });
    save.disabled = false;
    if (answer.ok) { toast(w('saved')); show(answer.data); return; }
    for (const e of answer.data?.errors?.length ? answer.data.errors : [null]) {
      const at = /^weights\.(\d+)$/.exec(e?.field || '');
      if (at && inputs[Number(at[1])]) {
        errors[Number(at[1])].textContent = weightError(answer, e);
        inputs[Number(at[1])].setAttribute('aria-invalid', 'true');
      } else error.textContent = weightError(answer, e);
    }
  } }, w('weightsSave'));
  const panel = h('details', { class: 'card gt-weights', 'data-test': 'gt-weights-form', ontoggle: async () => {
    if (!panel.open || panel.dataset.loaded) return;
    const answer = await coaching.request('GET', `/api/v1/seasonality/${enc(n.subject_id)}`);
    if (answer.ok) show(answer.data); else source.textContent = weightError(answer, answer.data?.errors?.[0]);
  } },
  h('summary', {}, w('weightsTitle')),
  h('p', { class: 'hint' }, w('weightsHint')),
  source,
  h('div', { class: 'gt-weights-grid' }, inputs.map((input, i) => h('label', { class: 'field gt-weight' },
    h('span', {}, monthName(i)), input, errors[i]))),
  sum, error, save);
  return panel;
}

/** Who changed the goal's target, when, from what to what: names, never ids. Fetched when opened. */
function historyPanel(n, metric) {
  const list = h('ol', { class: 'gt-history', 'data-test': 'gt-history' });
  const panel = h('details', { class: 'card', 'data-test': 'gt-history-panel', ontoggle: async () => {
    if (!panel.open || list.dataset.loaded) return;
    const answer = await coaching.readKept(`/api/v1/goals/${enc(n.goal.id)}/history`);
    if (!answer.ok && !answer.cachedAt) { list.replaceChildren(h('li', { class: 'error' }, answer.offline ? w('offline') : w('failed'))); return; }
    list.dataset.loaded = '1';
    const rows = answer.data || [];
    list.replaceChildren(...(rows.length ? [...rows].reverse().map((c) => h('li', { 'data-test': 'gt-history-item' },
      h('small', { class: 'hint' }, dateTime(c.changed_at)), ' ',
      c.from === null
        ? w('historyFirst', c.changed_by_name || '—', w(`via.${c.via}`), shownFigure(metric, c.to))
        : w('historyLine', c.changed_by_name || '—', w(`via.${c.via}`), shownFigure(metric, c.from), shownFigure(metric, c.to))))
      : [h('li', { class: 'hint' }, w('historyNone'))]));
  } }, h('summary', {}, w('history')), list);
  return panel;
}

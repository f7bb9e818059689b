// team/channels.js: a unit's group robots, for managers and admins (#/channels?unit_id=): the WeCom, DingTalk
// and Feishu robots that hear the team's milestones and badges (and, marked for leads, the morning digest),
// each webhook shown masked as the server keeps it; add one, send it a test message ("发送测试消息"), remove
// it. The webhook and its secret go to the server once and are never shown again. Online only.
import { h, field, empty } from '../ui.js';
import { t } from '../i18n.js';
import * as model from '../model.js';
import * as coaching from '../coaching.js';
import { managedUnits } from './dimensions.js';

const KINDS = ['wecom', 'dingtalk', 'feishu'];

function channelCard(channel, unitId, ctx, message) {
  const path = `/api/v1/units/${encodeURIComponent(unitId)}/channels/${encodeURIComponent(channel.id)}`;
  const test = h('button', { class: 'btn', 'data-test': 'channel-test', onclick: async () => {
    test.disabled = true;
    const answer = await coaching.request('POST', `${path}/test`);
    message.textContent = answer.ok ? t('channels.tested') : (answer.offline ? t('coach.offline') : answer.message || t('coach.failed'));
    test.disabled = false;
  } }, t('channels.test'));
  let armed = false;
  const remove = h('button', { class: 'btn btn-bad', 'data-test': 'channel-remove', onclick: async () => {
    if (!armed) { armed = true; remove.textContent = t('channels.remove.confirm'); return; }
    const answer = await coaching.request('DELETE', path);
    if (answer.ok) { ctx.refresh(); return; }
    message.textContent = answer.offline ? t('coach.offline') : answer.message || t('coach.failed');
  } }, t('channels.remove'));
  const flags = [
    channel.include_descendants ? t('channels.descendants') : null,
    channel.for_leads ? t('channels.forLeads') : null,
    channel.active ? null : t('channels.disabled', channel.failures),
  ].filter(Boolean).join(' · ');
  return h('div', { class: 'card', 'data-test': 'channel-item', 'data-id': channel.id, 'data-kind': channel.kind,
    'data-active': channel.active ? 'yes' : 'no' },
  h('strong', {}, t(`channels.kind.${channel.kind}`)),
  h('p', { class: 'hint', 'data-test': 'channel-url' }, channel.url),
  flags ? h('p', { class: 'hint' }, flags) : null,
  h('div', { class: 'pair' }, test, remove));
}

function addForm(unitId, ctx) {
  const kind = h('select', { 'data-test': 'channel-kind' }, KINDS.map((k) => h('option', { value: k }, t(`channels.kind.${k}`))));
  const url = h('input', { type: 'url', 'data-test': 'channel-url-input', maxlength: 2048, autocomplete: 'off', placeholder: 'https://…' });
  const secret = h('input', { type: 'password', 'data-test': 'channel-secret', maxlength: 200, autocomplete: 'off' });
  const keyword = h('input', { type: 'text', 'data-test': 'channel-keyword', maxlength: 100 });
  const descendants = h('input', { type: 'checkbox', 'data-test': 'channel-descendants' });
  const leads = h('input', { type: 'checkbox', 'data-test': 'channel-for-leads' });
  const locale = h('select', { 'data-test': 'channel-locale' }, h('option', { value: 'zh-CN' }, '中文'), h('option', { value: 'en' }, 'English'));
  const error = h('p', { class: 'error', 'data-test': 'channel-error', role: 'alert' });
  const save = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'channel-add', onclick: async () => {
    const body = { kind: kind.value, url: url.value.trim(), include_descendants: descendants.checked, for_leads: leads.checked, locale: locale.value };
    if (secret.value.trim()) body.secret = secret.value.trim();
    if (keyword.value.trim()) body.keyword = keyword.value.trim();
    save.disabled = true;
    const answer = await coaching.request('POST', `/api/v1/units/${encodeURIComponent(unitId)}/channels`, body);
    save.disabled = false;
    if (answer.ok) { ctx.refresh(); return; }
    error.textContent = answer.offline ? t('coach.offline') : answer.message || t('coach.failed');
  } }, t('channels.add'));
  return h('div', { class: 'card form', 'data-test': 'channel-form', 'data-unit': unitId },
    field(t('channels.kind'), kind), field(t('channels.url'), url, h('small', { class: 'hint' }, t('channels.url.hint'))),
    field(t('channels.secret'), secret), field(t('channels.keyword'), keyword),
    h('label', { class: 'check' }, descendants, h('span', {}, t('channels.descendants'))),
    h('label', { class: 'check' }, leads, h('span', {}, t('channels.forLeads'))),
    field(t('channels.locale'), locale), error, save);
}

export async function render(params, ctx) {
  const units = managedUnits(await model.replica('unit'), ctx.user);
  const unitId = params.query.get('unit_id') || ctx.user.unit_id;
  const unit = h('select', { 'data-test': 'channels-unit', onchange: () => ctx.navigate(`#/channels?unit_id=${encodeURIComponent(unit.value)}`) },
    units.map((u) => h('option', { value: u.id, selected: u.id === unitId }, u.name)));
  const message = h('p', { class: 'hint', 'data-test': 'channels-message', role: 'status' });
  const answer = await coaching.request('GET', `/api/v1/units/${encodeURIComponent(unitId)}/channels`);
  const list = answer.ok
    ? (answer.data.length ? answer.data.map((c) => channelCard(c, unitId, ctx, message)) : empty(t('channels.none')))
    : h('p', { class: 'empty' }, answer.offline ? t('coach.offline') : answer.message || t('coach.failed'));
  return h('section', { class: 'screen', 'data-test': 'channels' },
    h('h1', {}, t('channels.title')),
    field(t('dimensions.unit'), unit),
    h('p', { class: 'hint' }, t('channels.hint')),
    h('div', { 'data-test': 'channel-list' }, list),
    message,
    h('h2', {}, t('channels.new')),
    addForm(unitId, ctx));
}

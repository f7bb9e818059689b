// team/calendar.js: China's public holidays of a year, for admins (#/calendar?year=). A year the server only
// estimates (the `holidays` package: no State Council notice entered yet) says so; the admin pastes the
// notice's days off and make-up workdays and saves them in one go (PUT /calendars/official/{year}), which
// replaces the estimate for every unit. Online only; the server validates every date.
import { h, field, toast } from '../ui.js';
import { t } from '../i18n.js';
import * as coaching from '../coaching.js';
import { heading, isoDay, keptNotice, problems } from '../views/common.js';

/** The dates typed in a textarea: one per line, or separated by commas, spaces or 、. */
const dates = (text) => text.split(/[\s,，、;；]+/).filter(Boolean);

export async function render(params, ctx) {
  const thisYear = Number(isoDay(new Date(), ctx.timeZone).slice(0, 4));
  const year = Number(params.query.get('year')) || thisYear;
  const [answer, unitYear] = await Promise.all([
    coaching.request('GET', `/api/v1/calendars/official/${year}`),
    coaching.request('GET', `/api/v1/calendars/${encodeURIComponent(ctx.user.unit_id)}?year=${year}`),
  ]);
  const picker = h('select', { 'data-test': 'calendar-year', onchange: () => ctx.navigate(`#/calendar?year=${picker.value}`) },
    [thisYear - 1, thisYear, thisYear + 1, thisYear + 2].map((y) => h('option', { value: y, selected: y === year }, String(y))));
  if (!answer.ok) {
    return h('section', { class: 'screen', 'data-test': 'calendar' }, heading(t('calendar.title')),
      h('div', { class: 'card form' }, field(t('calendar.year'), picker)), keptNotice(answer));
  }
  const schedule = answer.data;
  const estimated = schedule.holidays === 'estimated';
  const status = estimated
    ? h('p', { class: 'banner', 'data-test': 'calendar-estimated', role: 'status' }, t('calendar.estimated', year))
    : h('p', { class: 'hint', 'data-test': 'calendar-official' },
      t(schedule.holidays_source === 'entered' ? 'calendar.entered' : 'calendar.packaged', year));
  const daysOff = h('textarea', { rows: 8, 'data-test': 'calendar-days-off', spellcheck: 'false' });
  daysOff.value = schedule.days_off.join('\n');
  const makeUp = h('textarea', { rows: 4, 'data-test': 'calendar-make-up', spellcheck: 'false' });
  makeUp.value = schedule.make_up_workdays.join('\n');
  const message = h('p', { class: 'error', 'data-test': 'calendar-error', role: 'alert' });
  const save = h('button', { class: 'btn btn-primary btn-wide', 'data-test': 'calendar-save', onclick: async () => {
    message.textContent = '';
    save.disabled = true;
    const saved = await coaching.request('PUT', `/api/v1/calendars/official/${year}`,
      { days_off: dates(daysOff.value), make_up_workdays: dates(makeUp.value) });
    save.disabled = false;
    if (!saved.ok) {
      // `make_up_workdays.0`: the first date of that box, "调休上班日期第 1 行" / "Make-up workdays, row 1".
      message.textContent = problems(saved, { days_off: t('audit.field.days_off'), 'days_off.*': t('audit.field.days_off'),
        make_up_workdays: t('audit.field.make_up_workdays'), 'make_up_workdays.*': t('audit.field.make_up_workdays') });
      return;
    }
    toast(t('calendar.saved', year));
    ctx.refresh();
  } }, t('calendar.save', year));
  return h('section', { class: 'screen', 'data-test': 'calendar' },
    heading(t('calendar.title')),
    h('div', { class: 'card form' }, field(t('calendar.year'), picker), status,
      unitYear.ok ? h('p', { class: 'hint', 'data-test': 'calendar-working-days' }, t('calendar.workingDays', year, unitYear.data.working_days)) : null),
    h('div', { class: 'card form' },
      field(t('calendar.daysOff'), daysOff),
      field(t('calendar.makeUp'), makeUp),
      h('p', { class: 'hint' }, t('calendar.hint')),
      message, save));
}

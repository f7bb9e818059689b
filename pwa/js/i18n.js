// i18n.js: the interface's words in zh-CN (the default) and en, and how numbers, money and times read in
// each. Money is CNY; in Chinese, amounts from ten thousand up read in 万 and 亿 (¥60万), as people say them.
// Words only the team's screens show (js/team/) belong in js/team/strings.js: a rep's phone never downloads them.

const zh = {
  'app.name': '销售目标', 'app.loading': '正在加载…', 'app.unavailable': '此页面尚未下载到本机，联网后再打开。',
  'nav.home': '今日', 'nav.customers': '客户', 'nav.goals': '目标', 'nav.inbox': '消息', 'nav.approve': '审批', 'nav.me': '我的',
  'login.title': '登录', 'login.email': '邮箱', 'login.password': '密码', 'login.submit': '登录',
  'login.bad': '邮箱或密码不正确', 'login.locked': '尝试次数过多，请 {0} 分钟后再试', 'login.offline': '无法连接服务器，请联网后登录',
  'login.language': '语言', 'login.again': '登录已过期，请重新登录。未同步的记录会保留。',
  'password.title': '修改密码', 'password.current': '当前密码', 'password.new': '新密码', 'password.again': '再次输入新密码',
  'password.submit': '保存新密码', 'password.mismatch': '两次输入的新密码不一致',
  'password.forced': '您的密码是由他人设置的，请先设置一个只有您知道的新密码。',
  'password.rule': '至少 10 个字符，不要用常见或容易猜到的密码（如 12345678、生日、姓名）。',
  'password.offline': '修改密码需要联网', 'password.field.current_password': '当前密码', 'password.field.password': '新密码',
  'sync.now': '同步', 'sync.pending': '待同步', 'sync.last': '上次同步 {0}', 'sync.never': '尚未同步',
  'sync.syncing': '正在同步…', 'sync.offline': '离线中：记录会保存在手机上，联网后自动同步',
  'sync.auth': '登录已过期，请重新登录', 'sync.signin': '重新登录', 'sync.upgrade': '应用版本过旧，请更新后再同步',
  'sync.error': '同步失败，稍后自动重试', 'sync.update': '有新版本', 'sync.reload': '刷新',
  'notice.rejected': '{0} 条记录被退回，请查看原因', 'notice.conflict': '部分修改与他人冲突，已按规则处理',
  'notice.amendment': '该拜访已审批，修改已作为变更申请提交给主管', 'notice.saved': '已保存，待同步',
  'notice.nochange': '没有修改',
  'home.today': '今日拜访', 'home.month': '本月拜访', 'home.recent': '最近拜访', 'home.followups': '待跟进',
  'home.none': '还没有拜访记录，点击下方按钮记录第一次拜访', 'home.rejected': '被退回的记录',
  'visit.new': '记录拜访', 'visit.edit': '修改拜访', 'visit.customer': '客户', 'visit.pick': '选择客户',
  'visit.checkin': '签到定位', 'visit.locating': '正在定位…', 'visit.accuracy': '已定位，精度 ±{0}\u00a0米',
  'visit.geo.denied': '未获得定位权限，可以不定位直接保存', 'visit.geo.unavailable': '暂时无法定位，可以不定位直接保存',
  'visit.geo.unsupported': '此设备不支持定位',
  'visit.outcome': '拜访结果', 'outcome.follow_up': '需跟进', 'outcome.interested': '有意向',
  'outcome.not_interested': '无意向', 'outcome.ordered': '已下单',
  'visit.satisfaction': '客户满意度（1–5）', 'visit.notes': '备注', 'visit.next': '下次跟进日期',
  'visit.won': '本次成交', 'visit.amount': '成交金额（元）', 'visit.submit': '提交主管审批',
  'visit.save': '保存', 'visit.delete': '删除草稿', 'visit.missing': '这台手机上没有这条拜访',
  'visit.deal': '{0} 成交',
  'visit.view': '拜访详情', 'visit.rep': '销售', 'visit.checkin.at': '{0} 签到', 'visit.checkin.nogps': '（签到未获得定位）',
  'visit.readonly': '只有记录这条拜访的销售可以修改它',
  'visit.photos': '照片（最多 {0} 张）', 'photo.title': '照片', 'photo.add': '拍照或选择照片', 'photo.remove': '删除照片', 'photo.open': '查看大图',
  'photo.noplace': '无定位', 'photo.bad': '“{0}”不是可以读取的照片，未添加', 'photo.max': '最多 {0} 张照片',
  'photo.uploading': '照片上传中（{0} 张）', 'photo.failed': '有照片无法上传（文件过大或不是照片）',
  'err.customer': '请选择客户', 'err.satisfaction': '满意度需为 1 到 5', 'err.amount': '请输入金额，如 12000 或 12000.50',
  'err.name': '请填写客户名称',
  'status.draft': '草稿', 'status.submitted': '待审批', 'status.approved': '已通过', 'status.rejected': '已驳回',
  'status.pending': '待同步', 'status.prospect': '潜在', 'status.active': '已成交',
  'cust.title': '客户', 'cust.new': '新增客户', 'cust.search': '搜索名称或拼音首字母', 'cust.name': '客户名称',
  'cust.address': '地址', 'cust.contact': '联系人', 'cust.phone': '电话', 'cust.province': '省份', 'cust.place': '所在地', 'cust.locate': '使用当前位置',
  'cust.save': '保存客户', 'cust.none': '还没有客户', 'cust.more': '显示更多（还有 {0} 个）',
  'goals.title': '目标进度', 'goals.none': '暂无目标数据，同步后显示', 'goals.unset': '你的目标还没有设定，设定后会显示在这里', 'goals.team': '团队',
  'goals.attainment': '达成', 'goals.expected': '按进度应达 {0}', 'goals.pace': '进度',
  'goals.ahead': '领先', 'goals.behind': '落后', 'goals.forecast': '预计期末 {0}',
  'goals.needed': '每个工作日还需 {0}', 'goals.daysleft': '剩余 {0} 个工作日',
  'goals.provisional': '另有待同步 {0}（暂计，未计入上方数字）', 'goals.asof': '数据截至 {0}', 'goals.tree': '目标分解',
  'metric.revenue': '销售额', 'metric.visits': '拜访量', 'metric.conversion': '成单转化率',
  'metric.satisfaction': '客户满意度', 'metric.new_customers': '新客户',
  'inbox.title': '消息', 'inbox.none': '没有消息', 'inbox.readall': '全部已读',
  'approve.title': '待审批拜访',
  'approve.distance': '距客户 {0}',
  'me.title': '我的', 'me.language': 'English', 'me.push': '开启消息推送', 'me.push.on': '消息推送已开启',
  'me.push.denied': '浏览器已拒绝通知权限，请在浏览器设置中允许', 'me.push.unsupported': '此浏览器不支持消息推送',
  'me.push.failed': '推送开启失败，请稍后再试', 'me.signout': '退出登录',
  'me.signout.confirm': '还有 {0} 条未同步的记录，退出将丢失它们。再次点击确认退出',
  'me.conflicts': '冲突记录', 'me.version': '版本 {0}',
  'me.settings': '设置', 'coach.title': '我的成长', 'coach.offline': '当前离线：此操作需要联网，请联网后再试',
  'coach.failed': '操作失败，请稍后再试',
  'badge.title': '我的徽章', 'badge.none': '还没有徽章', 'badge.first_order': '首单', 'badge.month_100': '{0} 目标达成 100%',
  'badge.visit_streak': '连续拜访 {0} 天', 'badge.other': '徽章',
  'review.none': '暂无已分享的绩效评估', 'review.title': '{0} 绩效评估', 'review.shared': '分享于 {0}',
  'review.ack': '确认已阅', 'review.ack.comment': '我的回复（可选）', 'review.ack.done': '已确认',
  'review.ack.at': '已于 {0} 确认',
  'plan.title': '改进计划', 'plan.exit': '结束条件', 'plan.due': '截止 {0}', 'plan.actions.offline': '联网后显示计划的行动项',
  'plan.kind.coaching': '辅导', 'plan.kind.training': '培训', 'plan.kind.role_change': '岗位调整',
  'commission.title': '{0} 提成预估', 'commission.sofar': '销售额 {0} · 达成率 {1}',
  'commission.next': '再卖 {0}，提成多 {1}（共 {2}）', 'commission.top': '已在最高档',
  'commission.asof': '更新于 {0}', 'commission.cached': '离线：显示 {0} 的数据',
  'commission.noplan': '暂无适用的提成方案', 'commission.none.offline': '离线：联网后显示提成预估',
  'statement.open': '查看提成明细', 'statement.title': '{0} 提成明细', 'statement.draft': '草稿（截至目前）',
  'statement.issued': '已发放 · {0}', 'statement.target': '目标', 'statement.revenue': '销售额',
  'statement.attainment': '达成率', 'statement.tier': '第 {0} 档（{1} – {2}）', 'statement.line': '{0} × {1}',
  'statement.clawback': '追回 {0} 提成', 'statement.clawback.deals': '不再计入：{0}', 'statement.total': '合计',
  'statement.none': '本期暂无明细', 'statement.offline': '当前离线：提成明细需要联网查看',
  'statement.cached': '离线：显示 {0} 获取的明细', 'statement.failed': '无法加载提成明细：{0}',
  'statement.stage.lost': '已输单', 'statement.stage.deleted': '已删除',
  'reports.title': '报表', 'reports.comparison': '对比', 'reports.funnel': '销售漏斗', 'reports.trend': '趋势',
  'reports.regions': '区域', 'reports.evidence': '拜访证据', 'reports.show': '查看', 'reports.export': '导出',
  'reports.empty': '本期没有数据',
  'reviews.title': '团队绩效评估',
  'reviews.status.draft': '草稿', 'reviews.status.shared': '已分享', 'reviews.status.closed': '已关闭',
  'review.closed': '评估已于 {0} 关闭，得分已定稿；{1} 的拜访记录已锁定',
  'desk.title': '审批台', 'desk.back': '返回', 'desk.cached': '离线：显示 {0} 获取的内容，联网后才能操作',
  'desk.offline': '当前离线：此页面需要联网',
  'plans.title': '改进计划',
  'dimensions.title': '评估维度与权重',
  'calendar.title': '法定节假日',
  'payplans.title': '提成方案',
  'audit.title': '操作日志',
  'statement.backpay': '补发 {0} 提成', 'statement.backpay.deals': '补计入：{0}',
  'statement.adjust.why': '已发 {0}，按现销售额 {2} 应得 {1}',
  'rej.fix': '修改重发', 'rej.retry': '重新发送', 'rej.dismiss': '知道了', 'rej.too_large': '记录过大，无法同步',
  'entity.visit': '拜访', 'entity.customer': '客户', 'entity.opportunity': '商机', 'entity.notification': '消息',
  'entity.amendment': '变更申请',
  'role.rep': '销售代表', 'role.lead': '主管', 'role.manager': '经理', 'role.admin': '管理员',
  'conflict.kept.yours': '保留了你的修改', 'conflict.kept.theirs': '保留了对方的修改',
  'channels.title': '团队群机器人',
  'channels.kind.wecom': '企业微信', 'channels.kind.dingtalk': '钉钉', 'channels.kind.feishu': '飞书',
  'me.channels': '团队消息会发到：{0}', 'me.channels.none': '团队还没有接入群机器人',
  'digest.choose': '每天早上发邮件简报', 'digest.on': '简报将发到 {0}', 'digest.off': '已关闭邮件简报',
  'digest.unavailable': '服务器尚未配置邮件发送',
  'unit.m': '{0} 米', 'unit.km': '{0} 公里', 'dur.min': '{0} 分钟', 'dur.hmin': '{0} 小时 {1} 分钟',
  'visit.onsite': '在访 {0}', 'visit.onsite.open': '{0} 签到，尚未签退', 'visit.checkout': '签退',
  'visit.checkout.at': '{0} 签退', 'visit.checkout.nogps': '（未获得定位）', 'visit.checkout.saved': '已签退，待同步',
  'flag.far': '远离客户', 'flag.poor_accuracy': '定位精度差', 'flag.impossible_travel': '不可能的行程',
  'flag.repeated_position': '重复定位', 'flag.other': '需核实',
  'cust.nearby': '附近', 'cust.byname': '按名称', 'cust.nopos': '无位置', 'cust.geo.failed': '无法获取当前位置，已按名称排列', 'cust.sorted': '已按距离由近到远排列',
  'cust.call': '拨打 {0}', 'cust.map': '地图', 'cust.history': '拜访记录', 'cust.novisits': '还没有拜访',
  'cust.deals': '商机', 'cust.nodeals': '暂无商机', 'cust.notfound': '找不到这个客户', 'cust.visit': '记录拜访',
  'cust.followup': '下次跟进 {0}',
  'stage.lead': '线索', 'stage.qualified': '需求确认', 'stage.proposal': '方案报价', 'stage.negotiation': '商务谈判',
  'stage.won': '赢单', 'stage.lost': '输单',
  'deal.advance': '推进到「{0}」', 'deal.lose': '输单…', 'deal.reason': '输单原因（必填）', 'deal.reason.required': '请填写输单原因',
  'deal.confirmlost': '确认输单', 'deal.saved': '已更新，待同步',
  'sync.stale': '有 {0} 条记录 {1} 天未同步，请联网同步',
  'me.storage.refused': '这台手机可能在存储空间不足时清理本应用的数据。请经常同步，未同步的记录就不会丢失。',
  // the leaderboard and the lead's and manager's home screens (js/views/leaderboard.js, js/team/home.js)
  'nav.leaderboard': '排行榜', 'lb.title': '排行榜', 'lb.people': '个人', 'lb.teams': '团队', 'lb.regions': '区域',
  'lb.scope': '排名对象', 'lb.metric': '指标', 'lb.period': '周期', 'lb.month': '本月', 'lb.quarter': '本季度', 'lb.year': '本年',
  'lb.rank': '第 {0} 名', 'lb.unranked': '未排名', 'lb.me': '我', 'lb.mine': '我所在',
  'lb.attainment': '达成率 {0}', 'lb.nogoal': '未设目标', 'lb.notmeasured': '尚无数据', 'lb.of': '完成 {0} / 目标 {1}',
  'lb.hint.people': '{0} · 按每人自己目标的达成率排名', 'lb.hint.units': '{0} · 按各组织自身目标的达成率排名',
  'lb.empty': '这一期还没有人设定这个指标的目标', 'lb.empty.units': '没有可排名的下级组织',
  'lb.cached': '离线：显示 {0} 获取的排行榜', 'lb.offline': '当前离线，这台手机上还没有这份排行榜，联网后再看',
  'lb.failed': '排行榜加载失败，请稍后再试', 'lb.badge.first_order': '首单', 'lb.badge.month_100': '月度达成 100%',
  'lb.badge.visit_streak': '连续拜访', 'lb.badge.count': '{0} ×{1}', 'lb.open': '查看排行榜',
  'unit.kind.team': '团队', 'unit.kind.region': '区域', 'unit.kind.company': '公司',
  'th.approvals': '待审批', 'th.approvals.visits': '{0} 条拜访待审批', 'th.approvals.amendments': '{0} 条变更申请待处理',
  'th.approvals.oldest': '最早一条签到于 {0}', 'th.approvals.none': '没有待审批的记录', 'th.approvals.open': '去审批',
  'th.behind': '落后于时间进度', 'th.behind.none': '没有人落后于时间进度',
  'th.attained': '达成率 {0}', 'th.elapsed': '时间进度 {0}', 'th.gap': '进度差 {0} 个百分点',
  'th.needed': '每个工作日还需 {0}', 'th.daysleft': '剩余 {0} 个工作日', 'th.nodays': '本期已没有剩余工作日',
  'th.of': '完成 {0} / 目标 {1}',
  'th.visits': '今日拜访', 'th.visits.row': '{0} 次', 'th.visits.approved': '已通过 {0}', 'th.visits.none': '团队里还没有销售代表',
  'th.quiet': '{0} 天以上未同步', 'th.quiet.last': '上次同步 {0}', 'th.quiet.never': '从未同步',
  'th.quiet.none': '每个人的手机都在 {0} 天内同步过',
  'th.cached': '离线：显示 {0} 获取的数据', 'th.offline': '当前离线，这台手机上还没有这一页的数据，联网后显示',
  'th.failed': '加载失败，请稍后再试', 'th.asof': '数据截至 {0}', 'th.leaderboard': '排行榜',
  'uh.units': '下级组织', 'uh.atrisk': '有风险：落后于时间进度', 'uh.atrisk.none': '没有组织落后于时间进度',
  'uh.trend': '近 {0} 期达成率', 'uh.risk': '落后', 'uh.nogoals': '这一期没有设定目标', 'uh.none': '下面还没有组织',
  'commission.error.no_revenue_goal': '本期还没有销售额目标，暂无法估算提成',
  'commission.error.other': '暂时无法估算提成',
  'field.satisfaction': '满意度', 'field.notes': '备注', 'field.outcome': '拜访结果', 'field.next_follow_up_on': '下次跟进日期',
  'field.customer_id': '客户', 'field.check_in_at': '签到时间', 'field.check_out_at': '签退时间', 'field.lat': '签到位置',
  'field.lon': '签到位置', 'field.accuracy_m': '定位精度', 'field.check_out_lat': '签退位置', 'field.check_out_lon': '签退位置',
  'field.check_out_accuracy_m': '签退定位精度', 'field.photos': '照片', 'field.amount': '成交金额', 'field.name': '名称',
  'field.phone': '电话', 'field.address': '地址', 'field.stage': '阶段', 'field.comment': '原因', 'field.reason': '原因',
  'field.opportunity_id': '商机', 'field.version': '版本', 'field.other': '一项内容',
  'action.submit': '提交审批', 'action.approve': '批准', 'action.reject': '驳回', 'action.advance': '推进阶段',
  'action.read': '标为已读', 'action.accept': '接受变更', 'action.refuse': '拒绝变更',
  'op.create': '新建', 'op.update': '修改', 'op.delete': '删除',
  'rule.approved_is_locked': '这次拜访已审批，{0}的修改已作为变更申请交给组长',
  'rule.last_arrival_wins': '{0}同时被别人修改过，以最后送达服务器的修改为准',
  'rule.evidence_first_wins': '{0}是签到证据，以最先记录的为准，这次修改没有生效',
  'rule.changed_since_read': '这条记录在你上次同步后被别人修改过，为免丢掉别人的修改，删除没有执行',
  'rule.stale_review': '审批时看到的不是最新版本，需要重新查看后再审批',
  'rule.other': '{0}与别人的修改冲突，已按规则处理',
  'conflict.values': '你的：{0} · 服务器上的：{1}',
  'rej.reason': '{0}：{1}', 'rej.other': '服务器没有接受这条记录', 'rej.code.required': '需要填写{0}',
  'problem.row': '{0}第 {1} 行', 'problem.rowOnly': '第 {0} 行', 'problem.other': '有一项填写不符合要求：{0}', 'problem.invalid': '不符合要求',
  'rej.code.not_found': '{0}不存在，或已不由你负责', 'rej.code.forbidden': '你无权修改{0}', 'rej.code.taken': '{0}已被使用',
  'goals.rate': '目标 {0}',
  'goals.pending': '另有 {0} 条待审批，审批通过后计入',
  'home.pending': '其中 {0} 条还未通过审批，目标只计已通过的',
};

const en = {
  'app.name': 'Fieldgoal', 'app.loading': 'Loading…', 'app.unavailable': 'This screen is not on this phone yet: open it again when online.',
  'nav.home': 'Today', 'nav.customers': 'Customers', 'nav.goals': 'Goals', 'nav.inbox': 'Inbox', 'nav.approve': 'Approve', 'nav.me': 'Me',
  'login.title': 'Sign in', 'login.email': 'Email', 'login.password': 'Password', 'login.submit': 'Sign in',
  'login.bad': 'Wrong email or password', 'login.locked': 'Too many attempts; try again in {0} min', 'login.offline': 'Cannot reach the server; connect to sign in',
  'login.language': 'Language', 'login.again': 'Your session expired; sign in again. Unsent records are kept.',
  'password.title': 'Change password', 'password.current': 'Current password', 'password.new': 'New password', 'password.again': 'New password again',
  'password.submit': 'Save new password', 'password.mismatch': 'The two new passwords differ',
  'password.forced': 'Someone else set your password. Choose one only you know first.',
  'password.rule': 'At least 10 characters; not a common or guessable password (12345678, a birthday, your name).',
  'password.offline': 'Changing the password needs a connection', 'password.field.current_password': 'Current password', 'password.field.password': 'New password',
  'sync.now': 'Sync', 'sync.pending': 'Unsent', 'sync.last': 'Synced {0}', 'sync.never': 'Not synced yet',
  'sync.syncing': 'Syncing…', 'sync.offline': 'Offline: records stay on this phone and sync when you are back online',
  'sync.auth': 'Session expired, please sign in again', 'sync.signin': 'Sign in', 'sync.upgrade': 'This app is out of date; update it to sync',
  'sync.error': 'Sync failed; retrying shortly', 'sync.update': 'New version available', 'sync.reload': 'Reload',
  'notice.rejected': '{0} record(s) were refused; see why', 'notice.conflict': 'Some edits clashed with others and were settled by policy',
  'notice.amendment': 'That visit was already approved; your edit went to your lead as an amendment', 'notice.saved': 'Saved, waiting to sync',
  'notice.nochange': 'Nothing changed',
  'home.today': 'Visits today', 'home.month': 'Visits this month', 'home.recent': 'Recent visits', 'home.followups': 'Follow-ups',
  'home.none': 'No visits yet; tap the button below to log your first', 'home.rejected': 'Refused records',
  'visit.new': 'Log a visit', 'visit.edit': 'Edit visit', 'visit.customer': 'Customer', 'visit.pick': 'Choose a customer',
  'visit.checkin': 'Check in here', 'visit.locating': 'Locating…', 'visit.accuracy': 'Located, ±{0}\u00a0m',
  'visit.geo.denied': 'Location permission refused; you can save without it', 'visit.geo.unavailable': 'Location unavailable; you can save without it',
  'visit.geo.unsupported': 'This device cannot locate',
  'visit.outcome': 'Outcome', 'outcome.follow_up': 'Follow up', 'outcome.interested': 'Interested',
  'outcome.not_interested': 'Not interested', 'outcome.ordered': 'Ordered',
  'visit.satisfaction': 'Satisfaction (1–5)', 'visit.notes': 'Notes', 'visit.next': 'Next follow-up',
  'visit.won': 'Won a deal', 'visit.amount': 'Amount (yuan)', 'visit.submit': 'Submit for approval',
  'visit.save': 'Save', 'visit.delete': 'Delete draft', 'visit.missing': 'This visit is not on this phone',
  'visit.deal': 'Deal with {0}',
  'visit.view': 'Visit', 'visit.rep': 'Rep', 'visit.checkin.at': 'Checked in {0}', 'visit.checkin.nogps': '(no check-in position)',
  'visit.readonly': 'Only the rep who logged this visit can change it',
  'visit.photos': 'Photos (up to {0})', 'photo.title': 'Photos', 'photo.add': 'Take or choose photos', 'photo.remove': 'Remove photo', 'photo.open': 'Open photo',
  'photo.noplace': 'no position', 'photo.bad': '"{0}" is not a photo that can be read; not added', 'photo.max': 'At most {0} photos',
  'photo.uploading': 'Photos uploading ({0})', 'photo.failed': 'A photo could not be uploaded (too large or not a photo)',
  'err.customer': 'Choose a customer', 'err.satisfaction': 'Satisfaction must be 1 to 5', 'err.amount': 'Enter an amount such as 12000 or 12000.50',
  'err.name': 'Enter the customer name',
  'status.draft': 'Draft', 'status.submitted': 'Submitted', 'status.approved': 'Approved', 'status.rejected': 'Rejected',
  'status.pending': 'Unsent', 'status.prospect': 'Prospect', 'status.active': 'Active',
  'cust.title': 'Customers', 'cust.new': 'Add customer', 'cust.search': 'Search name or initials', 'cust.name': 'Name',
  'cust.address': 'Address', 'cust.contact': 'Contact', 'cust.phone': 'Phone', 'cust.province': 'Province', 'cust.place': 'Located in', 'cust.locate': 'Use my location',
  'cust.save': 'Save customer', 'cust.none': 'No customers yet', 'cust.more': 'Show more ({0} left)',
  'goals.title': 'Goals', 'goals.none': 'No goals yet; they appear after a sync', 'goals.unset': 'Your goals have not been set yet; they will show here once set', 'goals.team': 'Team',
  'goals.attainment': 'attained', 'goals.expected': 'on pace: {0}', 'goals.pace': 'Pace',
  'goals.ahead': 'ahead', 'goals.behind': 'behind', 'goals.forecast': 'Forecast {0}',
  'goals.needed': '{0} needed per working day', 'goals.daysleft': 'working days left: {0}',
  'goals.provisional': 'Plus {0} unsent (provisional, not in the figures above)', 'goals.asof': 'As of {0}', 'goals.tree': 'Goal tree',
  'metric.revenue': 'Revenue', 'metric.visits': 'Visits', 'metric.conversion': 'Conversion',
  'metric.satisfaction': 'Satisfaction', 'metric.new_customers': 'New customers',
  'inbox.title': 'Inbox', 'inbox.none': 'No messages', 'inbox.readall': 'Mark all read',
  'approve.title': 'Visits to approve',
  'approve.distance': '{0} from the customer',
  'me.title': 'Me', 'me.language': '中文', 'me.push': 'Turn on notifications', 'me.push.on': 'Notifications are on',
  'me.push.denied': 'The browser refused notifications; allow them in its settings', 'me.push.unsupported': 'This browser cannot receive push messages',
  'me.push.failed': 'Could not turn on notifications; try again later', 'me.signout': 'Sign out',
  'me.signout.confirm': '{0} record(s) are unsent and will be lost. Tap again to sign out anyway',
  'me.conflicts': 'Conflicts', 'me.version': 'Version {0}',
  'me.settings': 'Settings', 'coach.title': 'My progress', 'coach.offline': 'You are offline: this needs a connection; try again when online',
  'coach.failed': 'That did not work; try again later',
  'badge.title': 'My badges', 'badge.none': 'No badges yet', 'badge.first_order': 'First order', 'badge.month_100': '{0} · target 100% reached',
  'badge.visit_streak': '{0}-day visit streak', 'badge.other': 'Badge',
  'review.none': 'No shared review yet', 'review.title': 'Review {0}', 'review.shared': 'Shared {0}',
  'review.ack': 'Acknowledge', 'review.ack.comment': 'Your reply (optional)', 'review.ack.done': 'Acknowledged',
  'review.ack.at': 'Acknowledged {0}',
  'plan.title': 'Improvement plan', 'plan.exit': 'Exit criteria', 'plan.due': 'due {0}', 'plan.actions.offline': 'The plan\'s actions show when online',
  'plan.kind.coaching': 'Coaching', 'plan.kind.training': 'Training', 'plan.kind.role_change': 'Role change',
  'commission.title': 'Commission {0}', 'commission.sofar': 'Revenue {0} · {1} of target',
  'commission.next': '{0} more pays {1} more ({2} in all)', 'commission.top': 'You are in the top tier',
  'commission.asof': 'As of {0}', 'commission.cached': 'Offline: figures from {0}',
  'commission.noplan': 'No commission plan applies to you', 'commission.none.offline': 'Offline: the estimate shows when online',
  'statement.open': 'See the statement', 'statement.title': 'Statement {0}', 'statement.draft': 'Draft (as of now)',
  'statement.issued': 'Issued {0}', 'statement.target': 'Target', 'statement.revenue': 'Revenue',
  'statement.attainment': 'Attainment', 'statement.tier': 'Tier {0} ({1} – {2})', 'statement.line': '{0} × {1}',
  'statement.clawback': 'Clawback for {0}', 'statement.clawback.deals': 'No longer counted: {0}', 'statement.total': 'Total',
  'statement.none': 'No lines for this period', 'statement.offline': 'You are offline: the statement needs a connection',
  'statement.cached': 'Offline: the statement as fetched {0}', 'statement.failed': 'Could not load the statement: {0}',
  'statement.stage.lost': 'lost', 'statement.stage.deleted': 'deleted',
  'reports.title': 'Reports', 'reports.comparison': 'Comparison', 'reports.funnel': 'Funnel', 'reports.trend': 'Trend',
  'reports.regions': 'Regions', 'reports.evidence': 'Visit evidence', 'reports.show': 'Show', 'reports.export': 'Export',
  'reports.empty': 'Nothing in this period',
  'reviews.title': 'Team reviews',
  'reviews.status.draft': 'Draft', 'reviews.status.shared': 'Shared', 'reviews.status.closed': 'Closed',
  'review.closed': 'Closed {0}: the score is final and your visits of {1} are locked',
  'desk.title': 'Approval desk', 'desk.back': 'Back', 'desk.cached': 'Offline: showing what was fetched {0}; decisions need a connection',
  'desk.offline': 'You are offline: this screen needs a connection',
  'plans.title': 'Improvement plans',
  'dimensions.title': 'Review dimensions',
  'calendar.title': 'Public holidays',
  'payplans.title': 'Commission plans',
  'audit.title': 'Audit trail',
  'statement.backpay': 'Back-pay for {0}', 'statement.backpay.deals': 'Won late: {0}',
  'statement.adjust.why': 'paid {0}; revenue now {2} earns {1}',
  'rej.fix': 'Fix and resend', 'rej.retry': 'Send again', 'rej.dismiss': 'Dismiss', 'rej.too_large': 'Too large to sync',
  'entity.visit': 'Visit', 'entity.customer': 'Customer', 'entity.opportunity': 'Opportunity', 'entity.notification': 'Message',
  'entity.amendment': 'Amendment',
  'role.rep': 'Sales rep', 'role.lead': 'Team lead', 'role.manager': 'Manager', 'role.admin': 'Admin',
  'conflict.kept.yours': 'your edit was kept', 'conflict.kept.theirs': 'the other edit was kept',
  'channels.title': 'Team group robots',
  'channels.kind.wecom': 'WeCom', 'channels.kind.dingtalk': 'DingTalk', 'channels.kind.feishu': 'Feishu',
  'me.channels': "Your team's news goes to: {0}", 'me.channels.none': 'Your team has no group robots yet',
  'digest.choose': 'Email me a digest every morning', 'digest.on': 'The digest goes to {0}', 'digest.off': 'Email digest turned off',
  'digest.unavailable': 'This server does not send email yet',
  'unit.m': '{0} m', 'unit.km': '{0} km', 'dur.min': '{0} min', 'dur.hmin': '{0} h {1} min',
  'visit.onsite': 'On site {0}', 'visit.onsite.open': 'Checked in {0}, not out yet', 'visit.checkout': 'Check out',
  'visit.checkout.at': 'Checked out {0}', 'visit.checkout.nogps': '(no position)', 'visit.checkout.saved': 'Checked out, waiting to sync',
  'flag.far': 'far from customer', 'flag.poor_accuracy': 'poor accuracy', 'flag.impossible_travel': 'impossible travel',
  'flag.repeated_position': 'repeated position', 'flag.other': 'to check',
  'cust.nearby': 'Nearby', 'cust.byname': 'By name', 'cust.nopos': 'no position', 'cust.geo.failed': 'Could not find where you are; sorted by name', 'cust.sorted': 'Nearest first',
  'cust.call': 'Call {0}', 'cust.map': 'Map', 'cust.history': 'Visits', 'cust.novisits': 'No visits yet',
  'cust.deals': 'Deals', 'cust.nodeals': 'No deals yet', 'cust.notfound': 'This customer is not on this phone', 'cust.visit': 'Log a visit',
  'cust.followup': 'Follow up {0}',
  'stage.lead': 'Lead', 'stage.qualified': 'Qualified', 'stage.proposal': 'Proposal', 'stage.negotiation': 'Negotiation',
  'stage.won': 'Won', 'stage.lost': 'Lost',
  'deal.advance': 'Move to {0}', 'deal.lose': 'Lost…', 'deal.reason': 'Why it was lost (required)', 'deal.reason.required': 'Say why the deal was lost',
  'deal.confirmlost': 'Mark as lost', 'deal.saved': 'Updated, waiting to sync',
  'sync.stale': '{0} record(s) not synced for {1} days: connect to sync',
  'me.storage.refused': 'This phone may clear the app\'s data when storage runs low. Sync often, so nothing unsent is lost.',
  // the leaderboard and the lead's and manager's home screens (js/views/leaderboard.js, js/team/home.js)
  'nav.leaderboard': 'Leaderboard', 'lb.title': 'Leaderboard', 'lb.people': 'People', 'lb.teams': 'Teams', 'lb.regions': 'Regions',
  'lb.scope': 'Rank', 'lb.metric': 'Metric', 'lb.period': 'Period', 'lb.month': 'This month', 'lb.quarter': 'This quarter', 'lb.year': 'This year',
  'lb.rank': 'No. {0}', 'lb.unranked': 'Not ranked', 'lb.me': 'You', 'lb.mine': 'Yours',
  'lb.attainment': '{0} attained', 'lb.nogoal': 'No target', 'lb.notmeasured': 'Nothing measured yet', 'lb.of': '{0} of {1}',
  'lb.hint.people': '{0} · ranked by attainment of each person\'s own target', 'lb.hint.units': '{0} · ranked by attainment of each unit\'s own target',
  'lb.empty': 'Nobody has a target for this metric in this period', 'lb.empty.units': 'No units below to rank',
  'lb.cached': 'Offline: the leaderboard as fetched {0}', 'lb.offline': 'You are offline and this leaderboard is not on this phone yet',
  'lb.failed': 'Could not load the leaderboard; try again later', 'lb.badge.first_order': 'First order', 'lb.badge.month_100': '100% month',
  'lb.badge.visit_streak': 'Visit streak', 'lb.badge.count': '{0} ×{1}', 'lb.open': 'Leaderboard',
  'unit.kind.team': 'Team', 'unit.kind.region': 'Region', 'unit.kind.company': 'Company',
  'th.approvals': 'Waiting for you', 'th.approvals.visits': '{0} visit(s) to approve', 'th.approvals.amendments': '{0} amendment(s) to decide',
  'th.approvals.oldest': 'oldest checked in {0}', 'th.approvals.none': 'Nothing waiting for approval', 'th.approvals.open': 'Approve',
  'th.behind': 'Behind the time elapsed', 'th.behind.none': 'Nobody is behind the time elapsed',
  'th.attained': '{0} attained', 'th.elapsed': '{0} of the time elapsed', 'th.gap': '{0} points behind',
  'th.needed': '{0} needed per working day', 'th.daysleft': '{0} working day(s) left', 'th.nodays': 'No working days left in this period',
  'th.of': '{0} of {1}',
  'th.visits': 'Visits today', 'th.visits.row': '{0}', 'th.visits.approved': '{0} approved', 'th.visits.none': 'No reps on the team yet',
  'th.quiet': 'Not synced for {0}+ days', 'th.quiet.last': 'last synced {0}', 'th.quiet.never': 'never synced',
  'th.quiet.none': 'Every phone synced within {0} days',
  'th.cached': 'Offline: as fetched {0}', 'th.offline': 'You are offline and this screen is not on this phone yet; it shows when online',
  'th.failed': 'Could not load; try again later', 'th.asof': 'As of {0}', 'th.leaderboard': 'Leaderboard',
  'uh.units': 'Units below', 'uh.atrisk': 'At risk: behind the time elapsed', 'uh.atrisk.none': 'No unit is behind the time elapsed',
  'uh.trend': 'Attainment, last {0} periods', 'uh.risk': 'behind', 'uh.nogoals': 'No targets for this period', 'uh.none': 'No units below yet',
  'commission.error.no_revenue_goal': 'No revenue target for this period yet, so no commission estimate',
  'commission.error.other': 'The commission estimate is not available now',
  'field.satisfaction': 'satisfaction', 'field.notes': 'notes', 'field.outcome': 'outcome', 'field.next_follow_up_on': 'next follow-up',
  'field.customer_id': 'customer', 'field.check_in_at': 'check-in time', 'field.check_out_at': 'check-out time', 'field.lat': 'check-in position',
  'field.lon': 'check-in position', 'field.accuracy_m': 'position accuracy', 'field.check_out_lat': 'check-out position', 'field.check_out_lon': 'check-out position',
  'field.check_out_accuracy_m': 'check-out accuracy', 'field.photos': 'photos', 'field.amount': 'deal amount', 'field.name': 'name',
  'field.phone': 'phone', 'field.address': 'address', 'field.stage': 'stage', 'field.comment': 'reason', 'field.reason': 'reason',
  'field.opportunity_id': 'opportunity', 'field.version': 'version', 'field.other': 'a field',
  'action.submit': 'Submit', 'action.approve': 'Approve', 'action.reject': 'Reject', 'action.advance': 'Move stage',
  'action.read': 'Mark read', 'action.accept': 'Accept amendment', 'action.refuse': 'Refuse amendment',
  'op.create': 'New', 'op.update': 'Edit', 'op.delete': 'Delete',
  'rule.approved_is_locked': 'This visit is approved, so your change to {0} went to your lead as an amendment request',
  'rule.last_arrival_wins': 'Someone else changed {0} at the same time; the change that reached the server last counts',
  'rule.evidence_first_wins': 'The {0} is check-in evidence: the first one recorded counts, so this change did not apply',
  'rule.changed_since_read': 'Someone changed this record after your last sync, so it was not deleted and their change is kept',
  'rule.stale_review': 'The review was of an older version; look at the visit again before deciding',
  'rule.other': 'Your change to {0} clashed with another and was settled by policy',
  'conflict.values': 'yours: {0} · on the server: {1}',
  'rej.reason': '{0}: {1}', 'rej.other': 'The server did not accept this record', 'rej.code.required': '{0} is required',
  'problem.row': '{0}, row {1}', 'problem.rowOnly': 'row {0}', 'problem.other': 'Something entered is not accepted: {0}', 'problem.invalid': 'is not accepted',
  'rej.code.not_found': 'The {0} does not exist or is no longer yours', 'rej.code.forbidden': 'You may not change the {0}', 'rej.code.taken': 'The {0} is already in use',
  'goals.rate': 'target {0}',
  'goals.pending': '{0} more waiting for approval; they count once approved',
  'home.pending': '{0} of them not approved; goals count approved visits only',
};

const dictionaries = { 'zh-CN': zh, en };
/** More words for a locale: the screens of people who manage others bring theirs (js/team/strings.js) when the
 * first of them loads, so a rep's phone never downloads them. */
export function addStrings(code, words) { Object.assign(dictionaries[code], words); }
export const LOCALES = Object.keys(dictionaries);
let locale = 'zh-CN';
let timeZone = 'Asia/Shanghai';

export function setLocale(next) {
  locale = dictionaries[next] ? next : 'zh-CN';
  document.documentElement.lang = locale;
}
export const getLocale = () => locale;
export function setTimeZone(tz) { if (tz) timeZone = tz; }
export const getTimeZone = () => timeZone;

/** The string for `key` in the current locale, with {0}, {1}… filled from `args`. */
export function t(key, ...args) {
  const text = dictionaries[locale][key] ?? zh[key] ?? key;
  return args.length ? text.replace(/\{(\d)\}/g, (_, i) => args[i] ?? '') : text;
}

const trim = (n, digits) => Number(n.toFixed(digits)).toString();

/** A yuan amount (decimal string or number): ¥8,500 · ¥2,400.50 · ¥60万 · ¥1.2亿 in Chinese; ¥600,000 in English.
 * Cents, when there are any, as two decimals. */
export function money(value) {
  const n = Number(value);
  if (value === null || value === undefined || value === '' || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (locale === 'zh-CN' && abs >= 1e8) return `¥${trim(n / 1e8, 2)}亿`;
  if (locale === 'zh-CN' && abs >= 1e4) return `¥${trim(n / 1e4, 2)}万`;
  const cents = Math.round(abs * 100) % 100 !== 0;
  return `¥${n.toLocaleString(locale, { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: 2 })}`;
}

export const number = (n, digits = 1) =>
  (n === null || n === undefined || !Number.isFinite(Number(n))) ? '—'
    : Number(n).toLocaleString(locale, { maximumFractionDigits: digits });

/** Metres as people say them: 850 米 / 3.2 公里 (850 m / 3.2 km); whole kilometres from 100 km. */
export function distance(metres) {
  const n = Number(metres);
  if (metres === null || metres === undefined || metres === '' || !Number.isFinite(n)) return '—';
  if (Math.round(n) < 1000) return t('unit.m', Math.round(n));
  const km = n / 1000;
  return t('unit.km', km.toLocaleString(locale, { maximumFractionDigits: km < 100 ? 1 : 0 }));
}

/** Whole minutes as 42 分钟 / 1 小时 5 分钟 (42 min / 1 h 5 min). */
export function duration(minutes) {
  const m = Math.max(0, Math.round(minutes));
  return m < 60 ? t('dur.min', m) : t('dur.hmin', Math.floor(m / 60), m % 60);
}

export const percent = (fraction) =>
  (fraction === null || fraction === undefined || !Number.isFinite(Number(fraction))) ? '—'
    : `${Math.round(Number(fraction) * 100)}%`;

/** A fraction as a percentage with one decimal: 0.4286 → 42.9%. */
export const percent1 = (fraction) =>
  (fraction === null || fraction === undefined || !Number.isFinite(Number(fraction))) ? '—'
    : `${(Number(fraction) * 100).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;

/** A count as a whole number; `up` for what is still needed (2.1 visits to go is 3). */
export const count = (n, up = false) =>
  (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) ? '—'
    : (up ? Math.ceil(Number(n)) : Math.round(Number(n))).toLocaleString(locale);

/** A KPI figure of `metric` as people read it: money, a percentage (conversion), a 1–5 score, or a count. */
export function figure(metric, value, { up = false } = {}) {
  if (metric === 'revenue') return money(value);
  if (metric === 'conversion') return percent1(value);
  if (metric === 'satisfaction') return number(value, 1);
  return count(value, up);
}

/** A period key in words: 2026-12 → 2026年12月 / Dec 2026; 2026-Q4 → 2026年第4季度 / Q4 2026; 2026 → 2026年. */
export function periodName(key) {
  const [, y, q, m] = /^(\d{4})(?:-Q([1-4])|-(\d{2}))?$/.exec(key || '') || [];
  if (!y) return key || '—';
  if (m && locale === 'zh-CN') return `${y}年${Number(m)}月`;
  if (m) return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(Number(y), Number(m) - 1, 1)));
  if (q) return locale === 'zh-CN' ? `${y}年第${q}季度` : `Q${q} ${y}`;
  return locale === 'zh-CN' ? `${y}年` : y;
}

const formats = new Map();
function formatter(kind) {
  const key = `${locale}|${timeZone}|${kind}`;
  if (!formats.has(key)) {
    const options = kind === 'date' ? { month: 'short', day: 'numeric', weekday: 'short' }
      : kind === 'time' ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    formats.set(key, new Intl.DateTimeFormat(locale, { ...options, timeZone }));
  }
  return formats.get(key);
}

/** An instant (RFC 3339) in the user's time zone: "11月27日 09:12". */
export const dateTime = (iso) => (iso ? formatter('datetime').format(new Date(iso)) : '—');
export const time = (iso) => (iso ? formatter('time').format(new Date(iso)) : '—');
/** A calendar date (YYYY-MM-DD, no zone: it is already the user's day). */
export function day(ymd) {
  if (!ymd) return '—';
  const [y, m, d] = ymd.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', weekday: 'short', timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

"""One catalog for every string the console shows, in English and Simplified Chinese.

`t("key", **values)` looks a message up in the current language and formats it; a key that
is missing from the catalog is shown as itself, so a gap is visible instead of a crash.
`label(enum_member)` names a domain value (a status, a channel, a department …) the same way.
The language is chosen once at start (`--lang`, `CSTUI_LANG` or the config file).
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

Lang = Literal["en", "zh"]

_language: Lang = "en"


def set_language(lang: Lang) -> None:
    global _language
    _language = lang


def language() -> Lang:
    return _language


def t(key: str, **values: object) -> str:
    """The message `key` in the current language, with `{placeholders}` filled."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    text = entry[1] if _language == "zh" else entry[0]
    return text.format(**values) if values else text


def label(value: Enum) -> str:
    """A domain value's name for people: `label(Status.NEW)` → "new" / "新建"."""
    entry = LABELS.get(f"{type(value).__name__}.{value.value}")
    if entry is None:
        return str(value.value).replace("_", " ")
    return entry[1] if _language == "zh" else entry[0]


# key → (English, 中文)
CATALOG: dict[str, tuple[str, str]] = {
    # panes and header
    "pane.queue": ("Queue", "队列"),
    "pane.ticket": ("Ticket", "工单"),
    "pane.customer": ("Customer", "客户"),
    "pane.knowledge": ("Knowledge", "知识库"),
    "header.agent": ("{agent} · {shift}", "{agent} · {shift}"),
    "header.no_shift": ("no shift", "无班次"),
    "header.nearest": ("next SLA {when}", "最近时限 {when}"),
    "header.no_due": ("no SLA due", "无时限"),
    "header.offline": ("store unreachable", "存储不可用"),
    "queue.position": ("{shown} of {total}", "{shown} / {total}"),
    "queue.loading": ("loading…", "加载中…"),
    "queue.empty": ("No tickets in this view", "此视图暂无工单"),
    "queue.filter": ("filter: {text}", "筛选：{text}"),
    "queue.filter_placeholder": (
        "filter this view (id, subject, customer, order)",
        "筛选当前视图（编号、主题、客户、订单）",
    ),
    "queue.marked_other": ("owned by {owner}", "已被 {owner} 负责"),
    "queue.viewing": ("{who} has it open", "{who} 正在查看"),
    # views
    "view.mine": ("Mine", "我的"),
    "view.unassigned": ("Unassigned", "待领取"),
    "view.all-open": ("All open", "全部未结"),
    "view.vip": ("VIP", "VIP"),
    "view.green": ("Green channel", "绿色通道"),
    "view.sla-risk": ("SLA risk", "时限预警"),
    "view.escalated": ("Escalated", "已升级"),
    "view.follow-up": ("Follow-up", "待回访"),
    "view.closed": ("Closed", "已关闭"),
    # the same views, short, for the tab line with counts
    "tab.mine": ("Mine", "我的"),
    "tab.unassigned": ("New", "待领"),
    "tab.all-open": ("Open", "未结"),
    "tab.vip": ("VIP", "VIP"),
    "tab.green": ("Green", "绿通"),
    "tab.sla-risk": ("Risk", "预警"),
    "tab.escalated": ("Esc", "升级"),
    "tab.follow-up": ("F/up", "回访"),
    "tab.closed": ("Closed", "已关"),
    # ticket pane
    "ticket.none": (
        "No ticket selected — Enter opens one from the queue",
        "未选择工单——在队列中按 Enter 打开",
    ),
    "ticket.owner": ("Owner", "负责人"),
    "ticket.unowned": ("nobody yet — t takes it", "暂无——按 t 领取"),
    "ticket.owners_had": ("{n} owner(s) so far", "已有 {n} 任负责人"),
    "ticket.status": ("Status", "状态"),
    "ticket.priority": ("Priority", "优先级"),
    "ticket.channel": ("Channel", "渠道"),
    "ticket.category": ("Category", "类别"),
    "ticket.order": ("Order", "订单"),
    "ticket.no_order": ("no order", "无订单"),
    "ticket.green": ("GREEN CHANNEL", "绿色通道"),
    "ticket.complaint": ("complaint: {cause}", "投诉：{cause}"),
    "ticket.second_complaint": ("second complaint", "二次投诉"),
    "ticket.follow_up": ("follow-up due {when}", "回访时间 {when}"),
    "ticket.resolution": ("resolved: {code}", "已解决：{code}"),
    "ticket.sla": ("SLA", "服务时限"),
    "ticket.first_response": ("first response", "首次响应"),
    "ticket.next_response": ("next response", "再次响应"),
    "ticket.resolve_by": ("resolution", "解决时限"),
    "ticket.escalations": ("Escalations", "升级"),
    "ticket.escalation_line": ("{dept} · {state} · due {due}", "{dept} · {state} · 截止 {due}"),
    "ticket.thread": ("Thread", "会话"),
    "ticket.links": ("Linked: {ids}", "关联：{ids}"),
    "ticket.merged_into": ("merged into #{id}", "已合并到 #{id}"),
    "msg.customer": ("customer", "客户"),
    "msg.reply": ("reply", "回复"),
    "msg.note": ("internal note", "内部备注"),
    "msg.system": ("system", "系统"),
    # composer
    "compose.reply": ("Reply to the customer", "回复客户"),
    "compose.note": ("Internal note (not shown to the customer)", "内部备注（客户不可见）"),
    "compose.hint": (
        "ctrl+s send · esc close (the draft is kept)",
        "ctrl+s 发送 · esc 关闭（草稿会保留）",
    ),
    "compose.draft_restored": ("Draft restored", "已恢复草稿"),
    "compose.empty": ("Nothing to send", "内容为空"),
    "compose.missing": ("Fill in before sending: {names}", "发送前请补全：{names}"),
    # customer pane
    "customer.none": ("No customer", "无客户"),
    "customer.tier": ("Tier", "客户分层"),
    "customer.why": ("why", "依据"),
    "customer.spend": ("annual spend ¥{amount}", "年消费 ¥{amount}"),
    "customer.orders": ("{n} orders", "{n} 笔订单"),
    "customer.aov": ("avg order ¥{amount}", "客单价 ¥{amount}"),
    "customer.complaints": ("{n} complaints", "{n} 次投诉"),
    "customer.phone": ("Phone", "电话"),
    "customer.email": ("Email", "邮箱"),
    "customer.address": ("Address", "地址"),
    "customer.reveal_hint": ("v reveals (recorded)", "按 v 查看（会记录）"),
    "customer.order_list": ("Orders", "订单"),
    "customer.tickets": ("Tickets", "工单记录"),
    "customer.csat": ("CSAT", "满意度"),
    "customer.no_csat": ("no CSAT answers yet", "暂无满意度评价"),
    "customer.risk": ("COMPLAINT RISK", "投诉预警"),
    "customer.no_risk": ("no complaint risk", "无投诉风险"),
    # knowledge pane
    "kb.placeholder": (
        "search the knowledge base (中文 / English)",
        "搜索知识库（中文 / English）",
    ),
    "kb.no_results": ("No articles match", "没有匹配的文章"),
    "kb.hint": ("Enter inserts into the reply", "Enter 插入到回复"),
    "kb.inserted": ("Inserted “{title}”", "已插入“{title}”"),
    # actions and feedback
    "action.take": ("Take", "领取"),
    "action.reply": ("Reply", "回复"),
    "action.note": ("Note", "备注"),
    "action.template": ("Template", "模板"),
    "action.escalate": ("Escalate", "升级"),
    "action.green": ("Green channel", "绿色通道"),
    "action.transfer": ("Transfer", "转交"),
    "action.status": ("Status", "状态"),
    "action.resolve": ("Resolve", "解决"),
    "action.follow_up": ("Follow-up", "回访"),
    "action.next": ("Next ticket", "下一单"),
    "action.filter": ("Filter", "筛选"),
    "action.help": ("Help", "帮助"),
    "action.quit": ("Quit", "退出"),
    "action.reveal": ("Reveal contact", "查看联系方式"),
    "action.reload": ("Reload", "刷新"),
    "action.view_next": ("Next view", "下个视图"),
    "action.view_prev": ("Previous view", "上个视图"),
    "action.focus": ("Focus {pane}", "聚焦{pane}"),
    "done.take": ("You own #{id} now", "已领取 #{id}"),
    "done.reply": ("Reply sent on #{id}", "已回复 #{id}"),
    "done.note": ("Note added to #{id}", "已添加备注 #{id}"),
    "done.escalate": (
        "#{id} escalated to {dept}; you still own it",
        "#{id} 已升级至{dept}，仍由您负责",
    ),
    "done.green": ("#{id} is on the green channel", "#{id} 已进入绿色通道"),
    "done.transfer_pending": (
        "Transfer of #{id} waits for a supervisor",
        "#{id} 的转交等待主管审批",
    ),
    "done.transfer": ("#{id} transferred to {to}", "#{id} 已转交给 {to}"),
    "done.status": ("#{id} is {status} now", "#{id} 状态已改为{status}"),
    "done.resolve": ("#{id} resolved ({code})", "#{id} 已解决（{code}）"),
    "done.follow_up": ("Follow-up on #{id} scheduled for {when}", "#{id} 已安排回访：{when}"),
    "done.reveal": ("Contact revealed (recorded in the log)", "已显示联系方式（已记入日志）"),
    "done.next": ("Took #{id}, the most urgent unassigned ticket", "已领取最紧急的待领工单 #{id}"),
    "fail.title": ("Refused", "操作被拒绝"),
    "fail.no_ticket": ("Open a ticket first", "请先打开一个工单"),
    "fail.conflict_owner": (
        "{owner} took #{id} first — r reloads",
        "{owner} 已先领取 #{id}——按 r 刷新",
    ),
    "fail.stale": (
        "#{id} changed meanwhile; reloaded — check and try again",
        "#{id} 已被他人修改，已刷新，请核对后重试",
    ),
    "fail.none_next": ("No unassigned ticket to take", "没有可领取的工单"),
    "fail.store": ("Store error: {error}", "存储错误：{error}"),
    "warn.second_handoff": (
        "#{id} has had {n} owners: another hand-off counts as a repeat dispatch. Go on?",
        "#{id} 已经过 {n} 任负责人，再次转交将计为重复派单。继续吗？",
    ),
    # dialogs
    "dialog.department": ("Department", "部门"),
    "dialog.reason": ("Reason", "原因"),
    "dialog.green": ("Green channel (2-hour handling)", "绿色通道（2 小时内处理）"),
    "dialog.to_agent": ("Transfer to", "转交给"),
    "dialog.status": ("New status", "新状态"),
    "dialog.code": ("Resolution", "解决方式"),
    "dialog.when": (
        "Follow up at (YYYY-MM-DD HH:MM, local time)",
        "回访时间（YYYY-MM-DD HH:MM，本地时间）",
    ),
    "dialog.ok": ("OK", "确定"),
    "dialog.cancel": ("Cancel", "取消"),
    "dialog.yes": ("Yes", "是"),
    "dialog.no": ("No", "否"),
    "dialog.required": ("{field} is required", "请填写{field}"),
    "dialog.bad_time": ("Not a date and time: {value}", "时间格式不正确：{value}"),
    "help.title": ("Keys", "快捷键"),
    "help.footer": (
        "Esc closes · keys can be changed in the config file's [keymap]",
        "Esc 关闭 · 可在配置文件 [keymap] 中修改按键",
    ),
    # countdowns
    "due.in": ("in {left}", "剩余 {left}"),
    "due.over": ("{left} over", "超时 {left}"),
    "due.none": ("—", "—"),
    "risk.breached": ("breached", "已超时"),
    "risk.at_risk": ("at risk", "临近超时"),
    "risk.ok": ("on time", "正常"),
    # the quality report (cstui report) and the supervisor's monitor
    "figure.csat": ("CSAT (4–5 of 5)", "满意度（4–5 分）"),
    "figure.very_satisfied": ("very satisfied (5)", "非常满意（5 分）"),
    "figure.complaint_rate": ("complaint rate", "投诉率"),
    "figure.second_complaint_rate": ("second-complaint rate", "二次投诉率"),
    "figure.repeat_dispatch_rate": ("repeat-dispatch rate", "重复派单率"),
    "figure.first_contact_resolution": ("first-contact resolution", "首次解决率"),
    "figure.basic_first_contact_resolution": (
        "first-contact resolution, basic questions",
        "基础问题首次解决率",
    ),
    "figure.avg_first_response": ("average first response", "平均首次响应"),
    "figure.avg_resolution_time": ("average resolution time", "平均解决时长"),
    "report.title.day": ("Quality report, day {period}", "质检日报 {period}"),
    "report.title.week": ("Quality report, week {period}", "质检周报 {period}"),
    "report.title.month": ("Quality report, month {period}", "质检月报 {period}"),
    "report.volume": (
        "{created} tickets created, {resolved} resolved, {answers} satisfaction answers.",
        "新建工单 {created}，解决 {resolved}，满意度回复 {answers}。",
    ),
    "report.goal.gain": ("+{value} pt on last period", "较上期 +{value} 个百分点"),
    "report.col.figure": ("figure", "指标"),
    "report.col.value": ("value", "本期"),
    "report.col.target": ("target", "目标"),
    "report.col.met": ("met", "达标"),
    "report.col.prev": ("previous", "上期"),
    "report.col.change": ("change", "变化"),
}

LABELS: dict[str, tuple[str, str]] = {
    "Status.new": ("new", "新建"),
    "Status.open": ("open", "处理中"),
    "Status.pending": ("pending", "待客户回复"),
    "Status.on_hold": ("on hold", "等待部门"),
    "Status.resolved": ("resolved", "已解决"),
    "Status.closed": ("closed", "已关闭"),
    "Priority.urgent": ("urgent", "紧急"),
    "Priority.high": ("high", "高"),
    "Priority.normal": ("normal", "普通"),
    "Priority.low": ("low", "低"),
    "Channel.phone": ("phone", "电话"),
    "Channel.chat": ("chat", "在线"),
    "Channel.email": ("email", "邮件"),
    "Channel.app": ("app", "APP"),
    "Channel.social": ("social", "社交"),
    "Category.logistics": ("logistics", "物流查询"),
    "Category.address": ("address change", "修改地址"),
    "Category.return": ("return/exchange", "退换货"),
    "Category.refund": ("refund", "退款"),
    "Category.repair": ("repair", "维修"),
    "Category.parts": ("spare parts", "配件"),
    "Category.invoice": ("invoice", "发票"),
    "Category.promotion": ("promotion", "优惠活动"),
    "Category.product": ("product", "产品咨询"),
    "Category.account": ("account", "账户安全"),
    "Category.complaint": ("complaint", "投诉"),
    "Tier.vip": ("VIP", "VIP"),
    "Tier.first_complaint": ("first complaint", "首次投诉"),
    "Tier.prior_complainant": ("prior complainant", "曾投诉"),
    "Tier.high_aov": ("high AOV", "高客单价"),
    "Tier.high_frequency": ("frequent", "高频购买"),
    "Tier.new": ("new", "新客户"),
    "Tier.standard": ("standard", "普通"),
    "Department.warehouse": ("warehouse", "仓储部"),
    "Department.qc": ("quality inspection", "质检部"),
    "Department.logistics": ("logistics", "物流部"),
    "Department.repair": ("repair", "维修部"),
    "Department.tech": ("tech", "技术部"),
    "Department.marketing": ("marketing", "市场部"),
    "Department.finance": ("finance", "财务部"),
    "Department.supervisor": ("supervisor", "客服主管"),
    "EscalationState.requested": ("requested", "已提交"),
    "EscalationState.acknowledged": ("acknowledged", "已受理"),
    "EscalationState.done": ("done", "已完成"),
    "EscalationState.rejected": ("rejected", "已驳回"),
    "Shift.morning": ("morning shift", "早班"),
    "Shift.evening": ("evening shift", "晚班"),
    "Shift.night": ("night shift", "夜班"),
    "ResolutionCode.solved": ("solved", "已解决"),
    "ResolutionCode.info_provided": ("information given", "已告知信息"),
    "ResolutionCode.refunded": ("refunded", "已退款"),
    "ResolutionCode.replaced": ("replaced", "已换货"),
    "ResolutionCode.repaired": ("repaired", "已维修"),
    "ResolutionCode.compensated": ("compensated", "已补偿"),
    "ResolutionCode.rejected": ("outside policy", "不符合政策"),
    "ResolutionCode.duplicate": ("duplicate", "重复工单"),
    "ResolutionCode.no_response": ("no response", "客户未回复"),
    "ComplaintCause.process": ("process gap", "流程缺陷"),
    "ComplaintCause.attitude": ("service attitude", "服务态度"),
    "ComplaintCause.product_quality": ("product quality", "产品质量"),
    "ComplaintCause.info_not_passed": ("information not passed on", "信息传递不及时"),
    "ComplaintCause.expectation": ("expectations too high", "期望过高"),
    "Role.agent": ("agent", "客服"),
    "Role.supervisor": ("supervisor", "主管"),
    "Role.admin": ("admin", "管理员"),
}

"""The words triage reads a customer's message by: per category, and for risk and urgency.

Every entry is written in the normalised form (`cstui.search.segment.normalize`: NFKC,
case-folded), so `物流`, `ＷＵＬＩＵ` and `Tracking` are matched as `物流`, `wuliu`, `tracking`.
A weight says how sure a word makes the category: 3 names the matter outright (`发票`,
`refund`), 2 points at it, 1 is a hint that only counts beside others. Latin words are
matched as whole words, Chinese ones anywhere.

Chosen by measurement on the labelled set in `bench/suggest_set.jsonl` (its tuning part;
the held-out part was not looked at while writing these), see `bench/README.md`.
"""

from __future__ import annotations

from cstui.domain.model import Category

Words = tuple[tuple[str, int], ...]

# fmt: off
CATEGORY_WORDS: dict[Category, Words] = {
    Category.LOGISTICS: (
        ("物流", 3), ("快递", 2), ("包裹", 2), ("发货", 2), ("到哪", 3), ("在哪", 2),
        ("签收", 2), ("运单", 2), ("快递柜", 3), ("驿站", 3), ("取件码", 3), ("派送", 2),
        ("配送", 2), ("送到", 1), ("没收到", 2), ("还没到", 3), ("没到", 2), ("丢件", 3),
        ("丢了", 1), ("催", 2), ("揽收", 3), ("顺丰", 2), ("中通", 2), ("圆通", 2),
        ("韵达", 2), ("京东快递", 2), ("疑难件", 3), ("不更新", 2), ("没更新", 2), ("没动", 2),
        ("拆单", 2), ("几个包裹", 2), ("海外", 1), ("港澳台", 2), ("偏远", 2), ("停运", 2),
        ("快递员", 2), ("送货上门", 2), ("送上门", 2), ("拒收", 3), ("冷链", 2), ("延迟", 2),
        ("天到", 2), ("几天能到", 3),
        ("tracking", 3), ("parcel", 2), ("package", 2), ("delivery", 2), ("shipped", 2),
        ("ship", 2), ("shipping", 1), ("courier", 2), ("where is", 2), ("arrive", 2),
        ("delivered", 2), ("locker", 3), ("pickup code", 3), ("dispatch", 2), ("wuliu", 3),
        ("kuaidi", 3), ("still not", 1), ("lost", 1),
    ),
    Category.ADDRESS: (
        ("地址", 3), ("改地址", 4), ("收货地址", 4), ("收货人", 2), ("电话填错", 3),
        ("号码填错", 3), ("填错", 2), ("写错", 1), ("改派", 4), ("旧地址", 4), ("小区", 2),
        ("寄到公司", 3), ("寄到学校", 3), ("两个地址", 3), ("面单", 2), ("搬家", 3),
        ("学校", 3), ("宿舍", 2), ("公司", 1),
        ("address", 4), ("redirect", 3), ("moved", 2), ("wrong phone", 3),
    ),
    Category.RETURN: (
        ("退货", 4), ("换货", 4), ("退换", 4), ("换个", 2), ("换一", 2), ("换尺码", 4),
        ("换颜色", 4), ("无理由", 4), ("寄回", 2), ("退回", 2), ("质检", 3), ("上门取件", 3),
        ("运费险", 5), ("描述不符", 3), ("色差", 2), ("不合适", 2), ("太大", 1), ("太小", 1),
        ("不想要", 2), ("赠品", 1), ("坏了", 1), ("烂", 2), ("变质", 2), ("臭", 2),
        ("退掉", 3), ("能退吗", 3), ("退了", 1), ("换一双", 3), ("码数不对", 3), ("换大", 3),
        ("换小", 3), ("换吗", 3), ("超过7天", 3),
        ("return", 4), ("exchange", 4), ("send back", 3), ("send it back", 3),
        ("wrong size", 3), ("spoiled", 2), ("rotten", 2), ("tuihuo", 4),
    ),
    Category.REFUND: (
        ("退款", 4), ("退钱", 4), ("钱没到", 4), ("没到账", 4), ("到账", 3), ("退差价", 1),
        ("扣了两次", 4), ("扣款", 2), ("扣了", 2), ("重复付款", 4), ("多扣", 3), ("原路", 3),
        ("花呗", 3), ("定金", 2), ("运费", 1), ("退我", 2), ("钱呢", 3), ("我的钱", 3),
        ("取消订单", 3), ("取消了", 2), ("退款进度", 4), ("退一部分", 4), ("钱", 1), ("抵扣", 1),
        ("银行卡", 1), ("仅退款", 4), ("部分退款", 4),
        ("refund", 4), ("money back", 4), ("charged twice", 4), ("double charged", 4),
        ("deposit", 2), ("cancel", 2), ("reimburse", 3), ("tuikuan", 4),
    ),
    Category.REPAIR: (
        ("维修", 4), ("修理", 4), ("修一下", 4), ("保修", 4), ("寄修", 4), ("返修", 4),
        ("坏了", 2), ("故障", 3), ("不能用", 2), ("用不了", 1), ("开不了机", 3), ("不开机", 3),
        ("不工作", 2), ("不转", 2), ("没反应", 2), ("备用机", 3), ("进水", 3), ("摔", 2),
        ("三包", 3), ("报修", 4), ("修好", 3),
        ("repair", 4), ("warranty", 4), ("broken", 2), ("not working", 3), ("stopped working", 3),
        ("won't turn on", 3), ("fix", 3), ("faulty", 3),
    ),
    Category.PARTS: (
        ("配件", 4), ("少了", 2), ("缺", 2), ("漏发", 3), ("滤网", 4), ("滤芯", 4),
        ("刷头", 4), ("耗材", 4), ("充电线", 3), ("充电器", 2), ("数据线", 3), ("零件", 4),
        ("型号", 2), ("螺丝", 3), ("说明书", 2), ("电池", 1),
        ("spare part", 4), ("part", 2), ("parts", 3), ("missing", 2), ("filter", 3),
        ("charger", 2), ("cable", 2), ("accessory", 3), ("accessories", 3),
    ),
    Category.INVOICE: (
        ("发票", 5), ("开票", 5), ("专票", 5), ("普票", 5), ("抬头", 4), ("税号", 5),
        ("报销", 3), ("红冲", 5), ("增值税", 5),
        ("invoice", 5), ("fapiao", 5), ("receipt", 2), ("vat", 4), ("tax id", 4),
    ),
    Category.PROMOTION: (
        ("优惠券", 4), ("优惠", 3), ("券", 3), ("满减", 4), ("满赠", 4), ("活动", 2),
        ("双十一", 3), ("双11", 3), ("618", 3), ("降价", 3), ("差价", 4), ("价保", 4),
        ("保价", 4), ("积分", 4), ("会员", 2), ("年卡", 4), ("秒杀", 4), ("直播间", 3),
        ("尾款", 4), ("膨胀", 4), ("红包", 2), ("叠加", 3), ("新人", 3), ("首单", 3),
        ("折扣", 3), ("便宜", 2), ("贵了", 2), ("等级", 2), ("vip", 3),
        ("coupon", 4), ("voucher", 4), ("promo", 4), ("promotion", 4), ("discount", 3),
        ("price drop", 4), ("cheaper", 3), ("points", 3), ("member", 2), ("membership", 3),
        ("flash sale", 4), ("double 11", 3), ("price protection", 4), ("sale", 2),
    ),
    Category.PRODUCT: (
        ("尺码", 3), ("码数", 3), ("穿多大", 4), ("多大码", 4), ("偏大", 3), ("偏小", 3),
        ("怎么用", 3), ("怎么保存", 4), ("保存", 2), ("正品", 4), ("假货", 3), ("真的假的", 3),
        ("电压", 4), ("国行", 4), ("适合", 2), ("使用", 1), ("第一次用", 3), ("说明", 1),
        ("解冻", 4), ("冷冻", 2), ("测", 1), ("准不准", 3), ("多大的房间", 4), ("面积", 2),
        ("纸尿裤", 3), ("制氧机", 2), ("血压计", 1), ("额温枪", 2),
        ("size", 3), ("how to use", 4), ("genuine", 4), ("fake", 3), ("authentic", 4),
        ("voltage", 4), ("store them", 3), ("fridge", 2), ("which one", 2), ("recommend", 2),
    ),
    Category.ACCOUNT: (
        ("账号", 4), ("帐号", 4), ("账户", 4), ("密码", 4), ("验证码", 4), ("登录", 3),
        ("登陆", 3), ("被盗", 4), ("盗号", 4), ("实名", 4), ("手机号", 2), ("换绑", 4),
        ("注销", 4), ("异地", 3), ("诈骗", 4), ("骗子", 2), ("冒充", 4), ("交易存在风险", 4),
        ("风险", 2), ("支付失败", 4), ("付款失败", 4), ("付不了", 3), ("被限制", 3), ("封号", 4),
        ("account", 4), ("password", 4), ("login", 3), ("log in", 3), ("hacked", 4),
        ("verification code", 4), ("scam", 3), ("payment failed", 4), ("sms code", 4),
    ),
    Category.COMPLAINT: (
        ("投诉", 6), ("12315", 6), ("消协", 6), ("曝光", 5), ("差评", 3), ("态度", 3),
        ("平台介入", 5), ("没人理", 4), ("没人联系", 4), ("没人回", 4), ("不回复", 3),
        ("答应", 2), ("说好", 2), ("骗人", 3), ("赔偿", 3), ("主管", 3), ("经理", 3),
        ("维权", 5), ("工商", 5), ("不满意", 3),
        ("complain", 6), ("complaint", 6), ("manager", 3), ("supervisor", 3), ("rude", 4),
        ("unacceptable", 3), ("compensation", 3), ("nobody", 3), ("no one", 3),
    ),
}

# Goods that put a ticket in the green channel (绿色通道) when something is wrong with them.
FRESH_WORDS = (
    "生鲜", "车厘子", "樱桃", "大闸蟹", "螃蟹", "海鲜", "虾", "水果", "榴莲", "荔枝", "芒果",
    "牛排", "冷链", "冰袋", "肉", "鱼", "草莓", "蔬菜", "cherries", "cherry", "crab",
    "seafood", "fruit", "fresh", "steak", "frozen",
)
MEDICAL_WORDS = (
    "医疗", "血压计", "血糖仪", "制氧机", "呼吸机", "轮椅", "额温枪", "体温计", "雾化器",
    "助听器", "医用", "blood pressure", "glucose", "oxygen", "wheelchair", "nebuliser",
    "nebulizer", "hearing aid", "medical", "thermometer",
)
PROBLEM_WORDS = (
    "坏", "烂", "变质", "臭", "化了", "死", "发霉", "不新鲜", "故障", "不能用", "用不了",
    "不准", "没反应", "漏", "碎", "没到", "还没", "延误", "几天", "急", "spoiled", "rotten",
    "broken", "smell", "melted", "dead", "not working", "faulty", "leak", "late", "urgent",
    "stopped", "moldy", "mouldy",
)

# What raises complaint risk, and by how much: threats to go outside, then anger.
THREAT_WORDS: Words = (
    ("12315", 3), ("消协", 3), ("工商", 3), ("曝光", 3), ("媒体", 3), ("律师", 3), ("起诉", 3),
    ("法院", 3), ("维权", 3), ("投诉", 2), ("差评", 2), ("平台介入", 2), ("complain", 2),
    ("lawyer", 3), ("sue", 3), ("report you", 3), ("social media", 3), ("bad review", 2),
)
ANGER_WORDS: Words = (
    ("垃圾", 2), ("骗子", 2), ("骗人", 2), ("无语", 1), ("气死", 2), ("太差", 2), ("什么玩意", 2),
    ("什么破", 2), ("恶心", 2), ("离谱", 1), ("坑", 1), ("过分", 1), ("失望", 1), ("烦", 1),
    ("搞什么", 2), ("到底", 1), ("凭什么", 2), ("忍", 1), ("tmd", 2), ("妈的", 2), ("靠", 1),
    ("ridiculous", 2), ("terrible", 2), ("worst", 2), ("useless", 2), ("disgusting", 2),
    ("angry", 2), ("fed up", 2), ("joke", 1), ("scam", 1), ("wtf", 2), ("unacceptable", 2),
)
REPEAT_WORDS: Words = (
    ("又", 1), ("还是", 1), ("第二次", 2), ("第三次", 2), ("好几次", 2), ("多少次", 2), ("一直", 1),
    ("again", 1), ("still", 1), ("third time", 2), ("second time", 2), ("how many times", 2),
)
# Customers' words for what the knowledge base calls otherwise: added to a message's search
# tokens so that `快递到哪了` finds `如何查询订单物流？`.
SYNONYMS: dict[str, str] = {
    "到哪": "物流 查询", "在哪": "物流 查询", "快递": "物流", "where is": "物流 查询 tracking",
    "还没到": "物流", "没动": "物流 不更新", "不动": "物流 不更新", "催": "催件",
    "钱": "退款", "退钱": "退款", "码数": "尺码", "多大": "尺码", "换一": "换货", "换大": "换货",
    "换小": "换货", "坏了": "维修", "没收到": "未收到", "发票": "开票",
    "号被盗": "账号被盗", "wuliu": "物流 查询", "查物流": "物流 查询", "改吗": "修改",
    "money back": "refund", "size": "尺码",
}
URGENT_WORDS = ("急", "马上", "立刻", "今天必须", "asap", "urgent", "immediately", "right now")
# fmt: on

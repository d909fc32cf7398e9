//! Every string of the web UI in zh-CN and English. A string is a variant of [`Msg`], so a
//! screen cannot show a key that has no translation, and no screen mixes the two languages.

use guanxi_core::Lang;

macro_rules! messages {
    ($($name:ident => $zh:literal, $en:literal;)+) => {
        /// One string of the UI.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg { $($name),+ }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$name),+];

            /// The string in `lang`.
            pub fn t(self, lang: Lang) -> &'static str {
                match self { $(Msg::$name => lang.pick($zh, $en)),+ }
            }
        }
    };
}

messages! {
    AppName => "关系 CRM", "Guanxi CRM";
    SignIn => "登录", "Sign in";
    SignOut => "退出", "Sign out";
    SignInTitle => "登录关系 CRM", "Sign in to Guanxi";
    Email => "邮箱", "E-mail";
    Password => "密码", "Password";
    WrongCredentials => "邮箱或密码不正确", "Wrong e-mail address or password.";
    Customers => "客户", "Customers";
    NewCustomer => "新建客户", "New customer";
    Lookup => "查找客户", "Find a customer";
    LookupHint => "输入电话、邮箱或姓名", "Phone, e-mail or name";
    Go => "查找", "Go";
    Search => "搜索", "Search";
    SearchHint => "姓名、电话或邮箱的一部分", "Part of a name, number or e-mail";
    AnyStatus => "全部状态", "Any status";
    AnyClass => "全部级别", "Any class";
    Sort => "排序", "Sort";
    SortNewest => "最新创建", "Newest first";
    SortOldest => "最早创建", "Oldest first";
    SortName => "按姓名", "By name";
    SortUpdated => "最近更新", "Recently updated";
    Filter => "筛选", "Filter";
    Name => "姓名 / 名称", "Name";
    Phone => "电话", "Phone";
    Status => "状态", "Status";
    Class => "级别", "Class";
    Owner => "客户经理", "Account manager";
    Tags => "标签", "Tags";
    TagsHint => "用逗号分隔", "Separate with commas";
    City => "城市", "City";
    Note => "备注", "Note";
    Kind => "类型", "Kind";
    Person => "个人", "Person";
    Company => "公司", "Company";
    Created => "创建时间", "Created";
    NextPage => "下一页", "Next page";
    FirstPage => "回到第一页", "Back to the first page";
    NoCustomers => "还没有符合条件的客户。可以换个搜索词，或点击“新建客户”添加第一位客户。", "No customers match. Try another search, or add your first customer with “New customer”.";
    Save => "保存", "Save";
    Cancel => "取消", "Cancel";
    FixErrors => "请修改标出的内容后再保存", "Please correct the marked fields and save again.";
    Duplicate => "该联系方式已属于另一位客户：", "This contact point already belongs to another customer:";
    OpenExisting => "查看已有客户", "Open the existing customer";
    SaveAnyway => "仍然新建", "Create anyway";
    ContactPoints => "联系方式", "Contact points";
    Profile => "基本信息", "Profile";
    Timeline => "互动记录", "Timeline";
    AllChannels => "全部渠道", "All channels";
    NoInteractions => "还没有互动记录。在上方记录第一次电话、拜访或邮件。", "No interactions yet. Log the first call, visit or e-mail above.";
    LogInteraction => "记录互动", "Log an interaction";
    Channel => "渠道", "Channel";
    Direction => "方向", "Direction";
    Inbound => "呼入 / 来访", "Inbound";
    Outbound => "呼出 / 拜访", "Outbound";
    Subject => "主题", "Subject";
    Content => "内容", "Content";
    Log => "记录", "Log";
    Interactions => "互动", "Interactions";
    Counts => "各渠道互动次数", "Interactions per channel";
    ContactPersons => "联系人", "Contact persons";
    CompanyOf => "所属公司", "Company";
    Vip => "VIP", "VIP";
    Unassigned => "未分配", "Unassigned";
    Forbidden => "您的角色没有访问此页面的权限。", "Your role does not allow this page.";
    NotFound => "找不到该页面或记录。", "This page or record does not exist.";
    SomethingWrong => "出错了，请稍后重试。", "Something went wrong; please try again later.";
    Back => "返回", "Back";
    Language => "语言", "Language";
    SessionExpired => "登录已失效，请重新登录。", "Your session has ended; please sign in again.";
    TooManyAttempts => "登录失败次数过多，请稍后再试。", "Too many failed sign-ins; please try again later.";
    NoMatch => "没有找到对应的客户，下面是搜索结果。", "No customer holds that; here are the search results.";
    Required => "必填", "required";
    Mobile => "手机", "Mobile";
    CsrfFailed => "页面已过期，请刷新后重试。", "The page has expired; reload it and try again.";
    Edit => "编辑", "Edit";
    MyDay => "我的一天", "My day";
    Leads => "线索", "Leads";
    NewOrder => "新建订单", "New order";
    Quotes => "报价单", "Quotes";
    PersonalData => "导出个人信息", "Export personal data";
    VCard => "存入通讯录（vCard）", "Save to contacts (vCard)";
    ExportCsv => "导出 CSV（Excel 可直接打开）", "Export CSV (opens in Excel)";
    SalesHistory => "销售动态", "Sales history";
    StoryLead => "线索录入", "Lead captured";
    StoryConverted => "线索转为客户", "Lead converted";
    StoryOpportunity => "新建商机", "Opportunity opened";
    StoryQuote => "报价", "Quote";
    StoryOrder => "下单", "Order placed";
    KeyAccount => "大客户计划", "Key account plan";
    NoPlan => "还没有大客户计划。", "No account plan yet.";
    Goals => "目标", "Goals";
    KeyContacts => "关键联系人", "Key contacts";
    ServicePlan => "一对一服务计划", "One-to-one service plan";
    LastReview => "上次回顾", "Last review";
    NextReview => "下次回顾", "Next review";
    AccountTeam => "客户团队", "Account team";
    RoleOnAccount => "在团队中的职责", "Role on the account";
    AddMember => "加入团队", "Add to the team";
    NoQuotes => "还没有报价单。", "No quotes yet.";
    NewQuote => "新建报价单", "New quote";
    Discount => "优惠金额", "Discount";
    TaxRate => "税率", "Tax rate";
    TaxIncluded => "含税", "incl. tax";
    MarkSent => "已发送", "Mark sent";
    MarkAccepted => "客户已接受", "Accepted";
    MarkRejected => "客户已拒绝", "Rejected";
    QuoteToOrder => "生成订单", "Make the order";
    PlaceOrder => "下单", "Place order";
    Product => "商品", "Product";
    FreeLine => "（不选商品，按描述填写）", "(no product: describe it)";
    Description => "描述", "Description";
    Quantity => "数量", "Quantity";
    UnitPrice => "单价（选了商品可不填）", "Unit price (optional with a product)";
    NewLead => "新建线索", "New lead";
    PersonName => "姓名", "Name";
    JobTitle => "职务", "Job title";
    Wechat => "微信", "WeChat";
    Region => "地区", "Region";
    RegionHint => "省市，如 广东深圳", "Province or city";
    Source => "来源", "Source";
    AnySource => "全部来源", "Any source";
    NoLeads => "还没有线索。可以手动录入，也可以在“线索设置”里创建网页表单，让访客自己留下联系方式。", "No leads yet. Enter one by hand, or make a web form in the lead settings so that visitors leave their details themselves.";
    ContactRequired => "电话、邮箱、微信至少填一项。", "Give at least one of phone, e-mail or WeChat.";
    LeadMatches => "可能重复", "Possible duplicates";
    NoLeadMatches => "没有发现电话、邮箱或微信相同的客户或线索。", "No customer or lead shares this phone, e-mail or WeChat id.";
    MatchedOn => "相同的", "Same";
    ConvertInto => "转入此客户", "Convert into this customer";
    ConvertLead => "转为客户", "Convert to a customer";
    ConvertHint => "将新建一位客户（填写了公司的，同时新建或关联公司客户），并可同时新建商机。线索的待办会转到客户名下。", "Creates a customer (and its company, when one is given) and, if you like, an opportunity. The lead's activities move to the customer.";
    WithOpportunity => "同时新建商机", "Also open an opportunity";
    LeadStatusLabel => "跟进状态", "Progress";
    DisqualifyReason => "无效原因（标记无效时必填）", "Reason (required to disqualify)";
    UpdateStatus => "更新状态", "Update";
    ConvertedTo => "已转为客户", "Converted into";
    LeadActivities => "跟进待办", "Activities";
    NoActivities => "还没有待办。", "No activities yet.";
    LeadSettings => "线索设置", "Lead settings";
    WebForms => "网页表单", "Web forms";
    NewWebForm => "新建网页表单", "New web form";
    FormName => "表单名称", "Form name";
    FormPage => "表单页面", "Form page";
    EmbedHint => "把下面的代码放到贵公司的网站上，访客提交后直接成为线索：", "Put this on your own website; what visitors send becomes a lead:";
    NoWebForms => "还没有网页表单。", "No web forms yet.";
    AssignmentRules => "分配规则", "Assignment rules";
    RulesHint => "新线索没有负责人时，按顺序套用第一条匹配的规则：指定给某人，或在团队的客户经理和经理之间轮流分配。都不匹配的线索留在线索池。", "A new lead without an owner gets the first rule that matches: one person, or the sales reps and managers of a team in turn. Leads no rule matches wait in the pool.";
    AnyRegion => "任意地区", "Any region";
    RoundRobin => "团队轮流", "Team, in turn";
    OnePerson => "指定人员", "One person";
    AddRule => "添加规则", "Add a rule";
    NoRules => "还没有分配规则。", "No rules yet.";
    AssignTo => "分配给", "Assign to";
    LeadSources => "线索来源", "Lead sources";
    AddSource => "添加来源", "Add a source";
    SourceCode => "代码（小写字母、数字、下划线）", "Code (a-z, 0-9, _)";
    ContactUs => "联系我们", "Contact us";
    FormIntro => "请留下您的联系方式，我们的客户经理会尽快与您联系。", "Leave your details and one of our account managers will get back to you soon.";
    Message => "留言", "Message";
    Submit => "提交", "Send";
    ThankYou => "提交成功，谢谢！我们会尽快与您联系。", "Thank you! We will be in touch soon.";
    FormNotFound => "表单不存在或已停用。", "This form does not exist or has been switched off.";
    LeadConverted => "线索已转为客户。", "The lead is now a customer.";
    FromLead => "来源线索", "From lead";
    Reminders => "提醒", "Reminders";
    Remind => "提醒", "Reminder";
    NoReminder => "不提醒", "None";
    Before15 => "提前 15 分钟", "15 minutes before";
    Before60 => "提前 1 小时", "1 hour before";
    BeforeDay => "提前 1 天", "1 day before";
    Forecast => "销售预测", "Forecast";
    Month => "预计成交月份", "Expected close";
    NoDate => "未定", "Not set";
    WinRate => "赢单率", "Win rate";
    AverageCycle => "平均销售周期", "Average sales cycle";
    Days => "天", "days";
    Overdue => "已逾期", "Overdue";
    Today => "今天", "Today";
    Upcoming => "接下来七天", "Next seven days";
    NothingHere => "没有待办。", "Nothing here.";
    PlanActivity => "安排待办", "Plan an activity";
    Due => "时间", "Due";
    Done => "完成", "Done";
    Plan => "安排", "Plan";
    CalendarFeed => "日历订阅", "Calendar feed";
    NewCalendarFeed => "生成日历订阅链接", "Make a calendar feed link";
    CalendarFeedHint => "在手机或电脑的日历中订阅此链接即可看到待办；请勿外传。重新生成后旧链接失效：", "Subscribe to this link in your calendar app to see your activities; keep it private. Making a new one ends the old one:";
    Pipeline => "销售漏斗", "Pipeline";
    Opportunities => "商机", "Opportunities";
    NewOpportunity => "新建商机", "New opportunity";
    OpportunityName => "商机名称", "Opportunity";
    Amount => "金额", "Amount";
    ExpectedClose => "预计成交日期", "Expected close";
    MoveTo => "移到", "Move to";
    Move => "移动", "Move";
    Reason => "原因（输单必填）", "Reason (required to lose)";
    Weighted => "加权金额", "Weighted";
    NoOpportunities => "还没有商机。在客户页面上可以为客户新建商机。", "No opportunities yet. Open one from a customer's page.";
    EmptyStage => "暂无", "None";
    Open => "进行中", "Open";
    Won => "赢单", "Won";
    Lost => "输单", "Lost";
    Orders => "订单", "Orders";
    NoOrders => "还没有订单。通过接口或商城对接下的订单会显示在这里。", "No orders yet. Orders placed through the API or a connected shop appear here.";
    PlacedAt => "下单时间", "Placed";
    Total => "金额", "Total";
    Items => "商品", "Items";
    Older => "更早的互动", "Older interactions";
    AnyOwner => "全部客户经理", "Any account manager";
    Tag => "标签", "Tag";
    SavedViews => "我的视图", "My views";
    SaveView => "保存为视图", "Save as a view";
    ViewName => "视图名称", "View name";
    NoViews => "还没有保存的视图。设置好筛选条件后，可以保存为视图，下次一键打开。", "No saved views yet. Set the filters, then save them as a view to open them in one click.";
    Admin => "管理", "Administration";
    Roles => "角色与权限", "Roles and permissions";
    RolesIntro => "每位用户有一个角色。下表是权限表：“全部”指本组织的全部客户，“本组”指本组成员的和共享给本组的客户，“本人”指自己负责的和共享给本组的客户，“经手”指自己负责的和自己处理过互动的客户。", "Every user has one role. This is the permission table: “all” is every customer of the organisation, “team” the team members' customers and those shared with the team, “own” one's own and those shared with the team, “handled” one's own and those whose interactions one handled.";
    Action => "操作", "Action";
    ScopeOrg => "全部", "all";
    ScopeTeam => "本组", "team";
    ScopeOwn => "本人", "own";
    ScopeHandled => "经手", "handled";
    Users => "用户", "Users";
    Teams => "团队", "Teams";
    CustomFields => "自定义字段", "Custom fields";
    ApiTokens => "API 令牌", "API tokens";
    Role => "角色", "Role";
    Team => "团队", "Team";
    NoTeam => "无团队", "No team";
    Active => "在用", "Active";
    Deactivated => "已停用", "Deactivated";
    AddUser => "添加用户", "Add a user";
    Change => "修改", "Change";
    Deactivate => "停用", "Deactivate";
    Reactivate => "重新启用", "Reactivate";
    ResetPassword => "重设密码", "Reset password";
    NewPassword => "新密码", "New password";
    PasswordSet => "密码已重设，该用户的登录已全部失效。", "Password set; the user's sessions have ended.";
    AddTeam => "添加团队", "Add a team";
    Members => "成员数", "Members";
    NoTeams => "还没有团队。团队用于共享客户：组员能看到共享给本组的客户，经理能看到本组的客户。", "No teams yet. Teams share customers: members see those shared with the team, managers see the team's.";
    AddField => "添加字段", "Add a field";
    Key => "字段键", "Key";
    LabelZh => "中文名称", "Chinese label";
    LabelEn => "英文名称", "English label";
    FieldType => "字段类型", "Type";
    Choices => "选项", "Choices";
    ChoicesHint => "仅用于选择类字段，用逗号分隔", "For choice fields only; separate with commas";
    RequiredField => "必填字段", "Required";
    Delete => "删除", "Delete";
    NoFields => "还没有自定义字段。可以为客户添加行业、来源渠道等字段。", "No custom fields yet. Add fields such as industry or source to customers.";
    TokenName => "令牌名称", "Token name";
    ExpiresInDays => "有效天数", "Valid for (days)";
    CreateToken => "创建令牌", "Create token";
    TokenShownOnce => "请立即复制保存此令牌，它只显示这一次：", "Copy this token now; it is shown only once:";
    Revoke => "撤销", "Revoke";
    Expires => "到期时间", "Expires";
    LastUsed => "最近使用", "Last used";
    StatusActive => "有效", "Active";
    StatusExpired => "已过期", "Expired";
    StatusRevoked => "已撤销", "Revoked";
    NoTokens => "还没有 API 令牌。脚本和其他系统可以用令牌调用关系 CRM 的接口。", "No API tokens yet. Scripts and other systems use a token to call the Guanxi API.";
    Never => "从未", "Never";
    PossibleDuplicates => "可能重复的客户", "Possible duplicates";
    NoDuplicates => "没有发现同名或同号码的客户。", "No other customer has this name or number.";
    MergeHere => "合并到当前客户", "Merge into this customer";
    MergeConfirm => "合并后，对方的互动记录、联系方式和标签将转到当前客户，对方记录将被删除且无法恢复。确定合并吗？", "Its interactions, contact points and tags move to this customer and it is removed for good. Merge?";
    Merged => "已合并，历史记录已转入当前客户。", "Merged; its history now belongs to this customer.";
    EditCustomer => "编辑客户", "Edit customer";
    ChangedMeanwhile => "该客户已被他人修改，请查看最新内容后再保存。", "Someone else changed this customer meanwhile; check the latest version and save again.";
    History => "变更记录", "History";
    NoHistory => "还没有变更记录。", "No changes recorded yet.";
    By => "操作人", "By";
    System => "系统", "System";
    Yes => "是", "Yes";
    No => "否", "No";
    ExportXlsx => "导出 Excel", "Export Excel";
    ImportNav => "导入", "Import";
    ImportTitle => "导入客户", "Import customers";
    ImportFile => "文件", "File";
    ImportFileHint => "支持 CSV、TSV、TXT（UTF-8、GBK、Big5 等常见编码均可）、Excel（.xlsx）和通讯录（.vcf）。第一行须为表头。", "CSV, TSV or TXT in any common encoding (UTF-8, GBK, Big5 …), Excel (.xlsx) or contacts (.vcf). The first row holds the headers.";
    ImportPolicy => "已有客户如何处理", "Customers already here";
    ImportPolicyHint => "电话、邮箱或微信与已有客户相同的行，视为同一位客户。", "A row with the phone, e-mail or WeChat id of an existing customer is taken as that customer.";
    PolicySkip => "跳过已有客户", "Skip existing customers";
    PolicySkipHint => "已有客户保持不变。", "The existing customer stays as it is.";
    PolicyFill => "只补充空白字段", "Fill empty fields only";
    PolicyFillHint => "只填写已有客户空着的字段，并添加缺少的联系方式；已有内容不变。", "Only the customer's empty fields are filled and missing contact points added; nothing already there changes.";
    PolicyOverwrite => "用文件覆盖", "Overwrite with the file";
    PolicyOverwriteHint => "文件中有值的字段替换已有内容，并添加缺少的联系方式。", "Fields the file has replace the customer's, and missing contact points are added.";
    DateOrder => "日期顺序", "Date order";
    DateOrderHint => "只影响 5/3/2024 这类写法；2024-03-05、2024/3/5 总能正确识别。", "Only for dates like 5/3/2024; 2024-03-05 and 2024/3/5 are always read right.";
    DatesDmy => "日/月/年（5/3/2024 是 3 月 5 日）", "Day/month/year (5/3/2024 is 5 March)";
    DatesMdy => "月/日/年（3/5/2024 是 3 月 5 日）", "Month/day/year (3/5/2024 is 5 March)";
    DatesYmd => "年/月/日", "Year/month/day";
    SavedMapping => "映射方案", "Saved mapping";
    SuggestMapping => "按表头自动识别", "Suggest from the headers";
    CheckFirst => "上传后先检查文件：逐行列出将会怎样处理。确认之前不会写入任何数据。", "The file is checked first: you see what each row would do. Nothing is written until you confirm.";
    UploadAndCheck => "上传并检查", "Upload and check";
    ImportHistory => "导入记录", "Imports";
    NoImports => "还没有导入记录。", "No imports yet.";
    UploadedAt => "上传时间", "Uploaded";
    ImportSummary => "结果", "Result";
    ViewImport => "查看", "Open";
    ImportChecking => "检查中", "Checking";
    ImportRunning => "导入中", "Importing";
    ImportChecked => "检查完成，待确认", "Checked, waiting for you";
    ImportDone => "导入完成", "Imported";
    ImportFailed => "失败", "Failed";
    ImportCancelled => "已取消", "Cancelled";
    ImportInterrupted => "已中断（可继续）", "Interrupted (can resume)";
    Format => "格式", "Format";
    Encoding => "编码", "Encoding";
    Progress => "进度", "Progress";
    RowsDone => "已处理 {n} 行", "Rows done: {n}";
    CheckResult => "检查结果（尚未写入任何数据）", "Check result (nothing written yet)";
    ImportResult => "导入结果", "Result";
    CountCreated => "新建 {n} 位客户", "New customers: {n}";
    CountCompanies => "（另建公司 {n} 家）", " (new companies: {n})";
    CountMatched => "匹配已有客户 {n} 位", "Matched existing customers: {n}";
    CountUpdated => "（更新 {n} 位）", " (updated: {n})";
    CountSameAs => "与前面的行合并 {n} 行", "Merged with an earlier row: {n}";
    CountRejected => "拒绝 {n} 行", "Rejected: {n}";
    CountSkipped => "空行 {n} 行", "Empty rows: {n}";
    CountDuplicates => "疑似重复 {n} 对", "Possible duplicates: {n}";
    ColumnMapping => "列与字段对应", "Columns and fields";
    FileColumn => "文件中的列", "Column of the file";
    ImportAs => "导入为", "Import as";
    NotImported => "不导入", "Leave out";
    MappingHint => "修改对应关系、日期顺序或处理方式后，可以先重新检查，再开始导入。", "After changing the columns, the date order or the policy, check again before importing.";
    StartImport => "开始导入", "Import now";
    CheckAgain => "重新检查", "Check again";
    SaveMapping => "保存为映射方案", "Save mapping";
    MappingName => "方案名称", "Mapping name";
    SaveMappingHint => "保存最近一次检查所用的对应关系和日期顺序，下次上传同样格式的文件时直接选用。", "Saves the columns and date order of the last check, to pick for the next file of the same layout.";
    MappingSaved => "映射方案已保存，下次上传时可以选用。", "Mapping saved; pick it on your next upload.";
    ResumeImport => "继续导入", "Resume";
    ResumeHint => "从中断处继续，已写入的行不会重复写入。", "Goes on where it stopped; rows already written are not written again.";
    CancelImport => "取消导入", "Cancel";
    CancelHint => "已写入的客户会保留。", "Customers already written stay.";
    ReviewDuplicatesLink => "去处理疑似重复客户", "Review the possible duplicates";
    RowReport => "逐行报告", "Row by row";
    AllOutcomes => "全部", "All";
    Line => "行号", "Line";
    Outcome => "结果", "Outcome";
    Details => "说明", "Details";
    OutcomeRejected => "拒绝", "Rejected";
    OutcomeSameAs => "与前面的行合并", "Same as an earlier row";
    OutcomeMatched => "匹配已有客户", "Matched an existing customer";
    OutcomeUpdated => "已更新已有客户", "Updated an existing customer";
    OutcomeDuplicate => "疑似重复", "Possible duplicate";
    SameAsLine => "同第 {n} 行", "Same as line {n}";
    NoReportRows => "没有需要查看的行。", "No rows need a look.";
    ReportCapped => "只列出前 200 行。", "Only the first 200 rows are listed.";
    OpenCustomer => "查看客户", "Open the customer";
    Duplicates => "疑似重复", "Duplicates";
    DuplicatesTitle => "疑似重复客户", "Possible duplicates";
    DuplicatesIntro => "这些客户可能是同一人。合并时，另一方的互动、联系方式和标签会转到保留的一方，另一方被删除。", "These pairs may be one person. Merging moves the other one's interactions, contact points and tags to the one you keep, and removes the other.";
    KeepLeft => "保留左边并合并", "Keep left, merge right";
    KeepRight => "保留右边并合并", "Keep right, merge left";
    NotSamePerson => "不是同一人", "Not the same person";
    ScanAll => "扫描全部客户", "Scan all customers";
    ScanStarted => "已开始扫描全部客户，发现的疑似重复会陆续出现在这里，请稍后刷新。", "Scanning all customers; the pairs it finds appear here. Reload in a while.";
    NoDuplicatePairs => "没有待处理的疑似重复客户。", "No possible duplicates to review.";
    Score => "相似度", "Score";
    PairMerged => "已合并。", "Merged.";
    PairDismissed => "已标记为不是同一人，不会再提示。", "Marked as two people; this pair will not come back.";
    MergePairConfirm => "合并后无法撤销。确定合并吗？", "A merge cannot be undone. Merge?";
    ErasePersonalData => "彻底删除个人信息", "Erase personal data";
    EraseCannotUndo => "此操作无法撤销。", "This cannot be undone.";
    EraseGoes => "将删除：姓名、联系方式、备注、互动内容、线索、标签和自定义字段。该客户不再出现在任何列表中。", "Erased: the name, contact points, notes, the text of interactions, leads, tags and custom fields. The customer leaves every list.";
    EraseStays => "将保留：订单（归在一条匿名记录下，销售数字不变）；审计日志会记下这次删除（何人、何时），但不保留被删除的内容。", "Kept: orders (under an anonymous record, so sales figures stay right); the audit log records that the erasure happened (who and when), not the data.";
    EraseTypeName => "请输入客户姓名以确认", "Type the customer's name to confirm";
    EraseConfirm => "彻底删除", "Erase for good";
    EraseNameMismatch => "输入的姓名与该客户的姓名不一致。", "The name typed is not the customer's name.";
    Erased => "个人信息已彻底删除。", "The personal data has been erased.";
    // Decision support: the dashboards, the customer's value panel, the list's score filters.
    Analytics => "客户分析", "Analytics";
    AnalyticsIntro => "根据订单算出的客户价值、RFM 分群、生命周期和流失风险。点击任一数字即可查看背后的客户名单。", "Customer value, RFM segments, lifecycle and churn risk, computed from orders. Click any number to see the customers behind it.";
    RunNow => "重新计算", "Run now";
    RunningNow => "计算中…", "Running…";
    RunningHint => "计算完成后本页会自动刷新。", "This page reloads itself when the run is done.";
    RunStarted => "已开始重新计算，完成后本页会显示新的结果。", "The run has started; this page shows the new results when it is done.";
    RunBusy => "已有一次计算正在进行，请稍候。", "A run is already going; please wait.";
    NoRunYet => "还没有计算过客户价值。", "Customer value has not been computed yet.";
    NoRunExplain => "计算会读取已付款、已发货和已完成的订单，为每位有购买记录的客户算出 RFM 分群、价值分层、生命周期阶段、流失风险和客户终身价值，并写回客户资料。", "A run reads paid, shipped and completed orders and gives every customer who has bought an RFM segment, a value tier, a lifecycle stage, a churn risk and a lifetime value, written back to the customer record.";
    AskAnalyst => "请联系管理员或分析师运行计算。", "Ask an administrator or an analyst to run it.";
    LastRun => "最近一次计算", "Last run";
    AsOf => "数据截至", "Data as of";
    ComputedAt => "计算时间", "Computed at";
    ScoredCustomers => "参与计算的客户", "Customers scored";
    PurchasesRead => "计入的购买", "Purchases counted";
    LeftOut => "未计入的订单", "Orders left out";
    LeftOutDetail => "日期在未来 {future} 笔，金额为零或负数 {not_positive} 笔，其他币种 {other} 笔", "{future} dated in the future, {not_positive} zero or negative, {other} in another currency";
    ModelSettings => "计算设置", "Settings";
    ModelSettingsDetail => "毛利率 {margin}%，预测 {months} 个月，月折现率 {discount}%", "margin {margin}%, horizon {months} months, monthly discount {discount}%";
    PurchaseModel => "购买次数模型（BG/NBD）", "Purchase model (BG/NBD)";
    SpendModel => "客单价模型（Gamma-Gamma）", "Spend model (Gamma-Gamma)";
    LogLikelihood => "对数似然", "log-likelihood";
    Iterations => "迭代次数", "iterations";
    FitFailed => "未能拟合", "No fit";
    ExportChart => "导出 CSV", "Export CSV";
    OrgWideOnly => "按月收入、洛伦兹曲线、同期群留存和模型参数是全组织的数据，只对可查看全部客户的角色显示。", "Revenue by month, the Lorenz curve, cohort retention and the model parameters are organisation-wide and shown only to roles that see every customer.";
    ReachNote => "下面的数字只包括您有权查看的客户。", "The counts below include only the customers you may see.";
    RevenueByMonth => "每月收入与购买客户", "Revenue and buying customers by month";
    MonthCol => "月份", "Month";
    Revenue => "收入", "Revenue";
    BuyingCustomers => "购买客户", "Buying customers";
    NewBuyers => "首次购买客户", "First-time buyers";
    MonthsHint => "柱为收入，折线为购买客户数。按月数字不对应客户名单。", "Bars are revenue, the line is buying customers. Monthly figures do not link to a customer list.";
    ValuePyramid => "价值金字塔（ABC 分层）", "Value pyramid (ABC tiers)";
    ValuePyramidHint => "A 类客户贡献前 80% 的收入，B 类贡献其后 15%，其余为 C 类。", "Tier A customers bring the first 80% of revenue, tier B the next 15%, tier C the rest.";
    ValueTier => "价值分层", "Value tier";
    CustomersCol => "客户数", "Customers";
    ShareOfCustomers => "客户占比", "Share of customers";
    ShareOfRevenue => "收入占比", "Share of revenue";
    LorenzCurve => "洛伦兹曲线", "Lorenz curve";
    Gini => "基尼系数", "Gini coefficient";
    LorenzHint => "曲线越偏离对角线，收入越集中在少数客户身上。", "The further the curve bows below the diagonal, the more revenue comes from a few customers.";
    RfmGrid => "RFM 矩阵（最近购买 × 购买频次）", "RFM grid (recency × frequency)";
    RfmHint => "R（最近一次购买）和 F（购买频次）各按五分位打 1–5 分，5 分最好。格中为客户数。", "Recency (R) and frequency (F) are scored 1–5 by quintile, 5 best. Cells count customers.";
    RfmScores => "RFM 得分", "RFM scores";
    Recency => "最近购买 R", "Recency R";
    Frequency => "购买频次 F", "Frequency F";
    Segments => "客户分群", "Segments";
    SegmentCol => "分群", "Segment";
    NoSegment => "未分群", "No segment";
    LifetimeValue => "客户终身价值", "Lifetime value";
    LifecycleFunnel => "生命周期漏斗", "Lifecycle funnel";
    LifecycleStage => "生命周期阶段", "Lifecycle stage";
    ChurnRisk => "流失风险", "Churn risk";
    ClvDistribution => "客户终身价值分布", "Lifetime value distribution";
    ClvBand => "终身价值区间", "Lifetime value band";
    NoPrediction => "无法预测", "No prediction";
    CohortRetention => "同期群留存（按首次购买月份）", "Cohort retention (by first-purchase month)";
    CohortHint => "每格是该月首次购买的客户在第 N 个月后仍有购买的比例。同期群不对应客户名单。", "Each cell is the share of the month's first-time buyers who bought again N months later. Cohorts do not link to a customer list.";
    CohortSize => "首购客户数", "Cohort size";
    MonthsAfter => "之后第 N 个月", "Months after";
    SegmentMigration => "分群迁移（上次 → 本次）", "Segment migration (last run → this run)";
    MigrationHint => "行是上次计算时的分群，列是本次的分群；点击数字查看这些客户。", "Rows are the segment at the run before, columns this run's; click a number to see those customers.";
    PreviousSegment => "上次分群", "Previous segment";
    CurrentSegment => "本次分群", "Current segment";
    FirstScored => "首次评分", "First scored";
    TotalRow => "合计", "Total";
    NoScoresYet => "暂无数据。", "No data yet.";
    StageExploration => "考察期", "Exploration";
    StageFormation => "形成期", "Formation";
    StageStability => "稳定期", "Stability";
    StageDecline => "退化期", "Decline";
    RiskLow => "低", "Low";
    RiskMedium => "中", "Medium";
    RiskHigh => "高", "High";
    CustomerValue => "客户价值", "Customer value";
    NotScored => "该客户尚未评分（还没有已付款的订单，或尚未运行计算）。", "Not scored yet (no paid orders, or no run yet).";
    PurchaseHistory => "购买记录", "Purchases";
    PurchaseSummary => "{n} 次，首次 {first}，最近 {last}", "{n}, first {first}, last {last}";
    HistoricalValue => "历史价值", "Historical value";
    CurrentValue => "当前价值（近 12 个月）", "Current value (last 12 months)";
    PotentialValue => "潜在价值（预测终身价值）", "Potential value (predicted lifetime value)";
    ProbabilityAlive => "仍活跃的概率", "Probability still active";
    ExpectedPurchases => "预计购买次数（90 / 180 / 365 天）", "Expected purchases (90 / 180 / 365 days)";
    ExpectedSpend => "预计客单价", "Expected spend per order";
    RiskReasons => "原因", "Reasons";
    ValueMovement => "变化记录", "Movement";
    ReasonOverdue => "超过平常间隔未购买：已 {days} 天，平常 {usual_gap} 天一次", "Overdue: {days} days since the last purchase, usually every {usual_gap} days";
    ReasonFading => "仍活跃的概率只有 {alive}%", "Only a {alive}% chance of still being active";
    ReasonSpendingDown => "近 12 个月消费 {last}，不到前 12 个月 {before} 的一半", "Spent {last} in the last 12 months, under half the {before} of the 12 months before";
    ReasonSilent => "只买过一次，已 {days} 天未再购买", "Bought once, {days} days ago, and not since";
    AnySegment => "全部分群", "Any segment";
    AnyTier => "全部分层", "Any tier";
    AnyStage => "全部阶段", "Any stage";
    AnyRisk => "全部风险", "Any risk";
    FilteredBy => "筛选：", "Filtered by:";
    RemoveFilter => "移除筛选", "Remove filter";
    ClvAtLeast => "终身价值 ≥ {v}", "Lifetime value ≥ {v}";
    ClvUnder => "终身价值 < {v}", "Lifetime value < {v}";
    TierName => "{t} 类", "Tier {t}";
    CustomersN => "{n} 位客户", "{n} customers";
    LastTwelveMonths => "表中为最近 12 个月，导出 CSV 可得全部月份。", "The table shows the last 12 months; export the CSV for every month.";
    RecentCohorts => "图中为最近 24 个同期群，导出 CSV 可得全部。", "The chart shows the latest 24 cohorts; export the CSV for all of them.";
}

/// A status, class or channel value in the UI's words.
pub fn value(lang: Lang, v: &str) -> &'static str {
    let (zh, en) = match v {
        "potential" => ("潜在", "Potential"),
        "new" => ("新客户", "New"),
        "current" => ("现有", "Current"),
        "loyal" => ("忠诚", "Loyal"),
        "lost" => ("流失", "Lost"),
        "key" => ("关键客户", "Key"),
        "ordinary" => ("普通客户", "Ordinary"),
        "small" => ("小客户", "Small"),
        "phone" => ("电话", "Phone"),
        "email" => ("邮件", "E-mail"),
        "chat" => ("在线咨询", "Chat"),
        "wechat" => ("微信", "WeChat"),
        "sms" => ("短信", "SMS"),
        "visit" => ("拜访", "Visit"),
        "letter" => ("信函", "Letter"),
        "fax" => ("传真", "Fax"),
        "web" => ("网站", "Web"),
        "self_service" => ("自助服务", "Self-service"),
        "face_to_face" => ("面谈", "Face to face"),
        "inbound" => ("呼入", "Inbound"),
        "outbound" => ("呼出", "Outbound"),
        "internal" => ("内部", "Internal"),
        "mobile" => ("手机", "Mobile"),
        "landline" => ("座机", "Landline"),
        "address" => ("地址", "Address"),
        "person" => ("个人", "Person"),
        "company" => ("公司", "Company"),
        "admin" => ("管理员", "Administrator"),
        "manager" => ("经理", "Manager"),
        "sales_rep" => ("客户经理", "Sales rep"),
        "agent" => ("坐席", "Service agent"),
        "marketer" => ("市场专员", "Marketer"),
        "analyst" => ("分析师", "Analyst"),
        "own_account" => ("自己的账号与令牌", "Own account and tokens"),
        "read_directory" => (
            "查看组织、用户、团队",
            "Read the organisation, users, teams",
        ),
        "read_customers" => ("查看客户", "Read customers"),
        "lookup_customers" => (
            "按电话、邮箱识别客户",
            "Look up customers by phone or e-mail",
        ),
        "create_customers" => ("新建客户", "Create customers"),
        "write_customers" => ("修改客户", "Change customers"),
        "delete_customers" => ("删除、恢复、合并客户", "Delete, restore, merge customers"),
        "log_interactions" => ("记录互动", "Log interactions"),
        "write_interactions" => ("修改互动", "Change interactions"),
        "manage_users" => ("管理用户", "Manage users"),
        "manage_teams" => ("管理团队", "Manage teams"),
        "manage_settings" => ("管理自定义字段", "Manage custom fields"),
        "read_events" => ("读取事件流", "Read the event feed"),
        "read_audit" => ("查看审计日志", "Read the audit log"),
        "manage_sales_settings" => ("管理产品目录和销售漏斗", "Manage products and pipelines"),
        "write_opportunities" => ("创建和推进商机", "Create and advance opportunities"),
        "write_activities" => ("安排和完成待办", "Plan and complete activities"),
        "read_leads" => ("查看销售线索", "See leads"),
        "write_leads" => ("录入、跟进和分配线索", "Capture, qualify and assign leads"),
        "export_personal_data" => (
            "导出个人信息（应个人信息主体请求）",
            "Export a person's data (PIPL/GDPR request)",
        ),
        "convert_leads" => (
            "将线索转为客户和商机",
            "Convert leads into customers and opportunities",
        ),
        "import_customers" => ("导入客户文件", "Import customer files"),
        "review_duplicates" => ("处理疑似重复客户", "Review possible duplicates"),
        "erase_customers" => (
            "彻底删除个人信息（应个人信息主体请求）",
            "Erase a person's data (PIPL/GDPR request)",
        ),
        "view_analytics" => ("查看客户分析", "See the customer analytics"),
        "run_analysis" => ("运行客户价值计算", "Run the customer-value models"),
        "task" => ("任务", "Task"),
        "call" => ("电话", "Call"),
        "meeting" => ("会议", "Meeting"),
        "visit_activity" => ("拜访", "Visit"),
        "write_orders" => ("创建和处理订单", "Create and process orders"),
        "placed" => ("已下单", "Placed"),
        "quote_draft" => ("草稿", "Draft"),
        "quote_sent" => ("已发送", "Sent"),
        "quote_accepted" => ("已接受", "Accepted"),
        "quote_rejected" => ("已拒绝", "Rejected"),
        "quote_ordered" => ("已下单", "Ordered"),
        "paid" => ("已付款", "Paid"),
        "shipped" => ("已发货", "Shipped"),
        "completed" => ("已完成", "Completed"),
        "cancelled" => ("已取消", "Cancelled"),
        "refunded" => ("已退款", "Refunded"),
        "text" => ("文本", "Text"),
        "number" => ("数字", "Number"),
        "date" => ("日期", "Date"),
        "choice" => ("选择", "Choice"),
        _ => ("—", "—"),
    };
    lang.pick(zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_cjk(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_string_is_in_both_languages() {
        for m in Msg::ALL {
            let (zh, en) = (m.t(Lang::ZhCn), m.t(Lang::En));
            assert!(!zh.is_empty() && !en.is_empty(), "{m:?}");
            if *m != Msg::Vip {
                assert!(has_cjk(zh), "{m:?} zh: {zh}");
                assert_ne!(zh, en, "{m:?}");
            }
            assert!(!has_cjk(en), "{m:?} en: {en}");
        }
    }
}

//! Who may do what: roles, the actions of the API, and the one permission table that joins them.
//!
//! Every API route names exactly one [`Action`]; [`grant`] says, for a role and an action,
//! whether it is allowed and over which records ([`Scope`]). The API enforces the role part on
//! every request before a handler runs; the store applies the scope to every query that reads or
//! changes customer data. `docs/PERMISSIONS.md` is this table in prose, and the permission
//! matrix test states the same policy independently.

use crate::ids::{TeamId, UserId};

str_enum!(
    /// The role of a staff member. One per user.
    Role {
        Admin = "admin",
        Manager = "manager",
        SalesRep = "sales_rep",
        Agent = "agent",
        Marketer = "marketer",
        Analyst = "analyst",
    }
);

impl Role {
    /// The role's name for people, in both languages.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        let (zh, en) = match self {
            Role::Admin => ("管理员", "Administrator"),
            Role::Manager => ("经理", "Manager"),
            Role::SalesRep => ("客户经理", "Sales rep"),
            Role::Agent => ("坐席", "Service agent"),
            Role::Marketer => ("市场专员", "Marketer"),
            Role::Analyst => ("分析师", "Analyst"),
        };
        lang.pick(zh, en)
    }
}

str_enum!(
    /// Everything a request can ask to do. Each route of the API is declared with one.
    Action {
        // No sign-in needed: probes, documentation, signing in.
        Public = "public",
        // Any signed-in user, about themselves: who am I, sign out, change my password,
        // my API tokens.
        OwnAccount = "own_account",
        // Read the organisation's directory: the organisation, users, teams, custom fields.
        ReadDirectory = "read_directory",
        ReadCustomers = "read_customers",
        // Find customers by phone, e-mail or WeChat id (customer recognition).
        LookupCustomers = "lookup_customers",
        CreateCustomers = "create_customers",
        WriteCustomers = "write_customers",
        DeleteCustomers = "delete_customers",
        LogInteractions = "log_interactions",
        WriteInteractions = "write_interactions",
        ManageUsers = "manage_users",
        ManageTeams = "manage_teams",
        ManageSettings = "manage_settings",
        ReadEvents = "read_events",
        ReadAudit = "read_audit",
        // Sales settings: the product catalogue and the pipelines.
        ManageSalesSettings = "manage_sales_settings",
        // Create orders and move them along (for customers within reach).
        WriteOrders = "write_orders",
        // Create opportunities and move them through the pipeline (customers within reach).
        WriteOpportunities = "write_opportunities",
        // Plan and complete activities (tasks, calls, meetings, visits) for oneself or, with a
        // team or organisation reach, for others.
        WriteActivities = "write_activities",
        // See leads (within reach: owned by oneself, one's team, or all).
        ReadLeads = "read_leads",
        // Capture, qualify and hand over leads.
        WriteLeads = "write_leads",
        // Turn a lead into a customer and an opportunity.
        ConvertLeads = "convert_leads",
        // Export everything held about a person (a request under PIPL / GDPR).
        ExportPersonalData = "export_personal_data",
        // Bring files of customers in (imports run for the whole organisation).
        ImportCustomers = "import_customers",
        // Work the queue of customers that may be one person: scan, merge, dismiss.
        ReviewDuplicates = "review_duplicates",
        // Erase a person's data on request (PIPL / GDPR): irreversible.
        EraseCustomers = "erase_customers",
        // See the decision-support dashboards and counts (over the customers within reach).
        ViewAnalytics = "view_analytics",
        // Run the customer-value models and write their scores back (organisation-wide).
        RunAnalysis = "run_analysis",
        // Query the data warehouse with SQL (organisation-wide facts; analysts' tool).
        QueryWarehouse = "query_warehouse",
    }
);

/// Over which customers a granted action reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every customer of the organisation.
    Org,
    /// A manager's: customers owned by a member of the team (or by the manager), and customers
    /// shared with the team.
    Team,
    /// A sales rep's: customers they own, and customers shared with their team.
    Own,
    /// A service agent's: customers they own or whose interactions they handled.
    Handled,
}

/// The permission table: what `role` may do with `action`, and over which customers.
/// `None` is a refusal. This is the only place where roles are turned into rights.
pub fn grant(role: Role, action: Action) -> Option<Scope> {
    use Action as A;
    use Role as R;
    use Scope::*;
    match (action, role) {
        (A::Public | A::OwnAccount | A::ReadDirectory, _) => Some(Org),

        (A::ReadCustomers, R::Admin | R::Marketer | R::Analyst) => Some(Org),
        (A::ReadCustomers, R::Manager) => Some(Team),
        (A::ReadCustomers, R::SalesRep) => Some(Own),
        (A::ReadCustomers, R::Agent) => Some(Handled),

        // An agent taking a call must recognise any caller.
        (A::LookupCustomers, R::Admin | R::Agent | R::Marketer | R::Analyst) => Some(Org),
        (A::LookupCustomers, R::Manager) => Some(Team),
        (A::LookupCustomers, R::SalesRep) => Some(Own),

        (A::CreateCustomers, R::Admin) => Some(Org),
        (A::CreateCustomers, R::Manager) => Some(Team),
        (A::CreateCustomers, R::SalesRep | R::Agent) => Some(Own),
        (A::CreateCustomers, R::Marketer | R::Analyst) => None,

        (A::WriteCustomers | A::WriteInteractions, R::Admin) => Some(Org),
        (A::WriteCustomers | A::WriteInteractions, R::Manager) => Some(Team),
        (A::WriteCustomers | A::WriteInteractions, R::SalesRep) => Some(Own),
        (A::WriteCustomers | A::WriteInteractions, R::Agent) => Some(Handled),
        (A::WriteCustomers | A::WriteInteractions, R::Marketer | R::Analyst) => None,

        (A::DeleteCustomers, R::Admin) => Some(Org),
        (A::DeleteCustomers, R::Manager) => Some(Team),
        (A::DeleteCustomers, _) => None,

        // Calls come from anyone: an agent logs them against whoever the caller is.
        (A::LogInteractions, R::Admin | R::Agent) => Some(Org),
        (A::LogInteractions, R::Manager) => Some(Team),
        (A::LogInteractions, R::SalesRep) => Some(Own),
        (A::LogInteractions, R::Marketer | R::Analyst) => None,

        (A::ManageUsers | A::ManageTeams | A::ManageSettings | A::ReadAudit, R::Admin) => Some(Org),
        (A::ManageUsers | A::ManageTeams | A::ManageSettings | A::ReadAudit, _) => None,

        (A::ReadEvents, R::Admin | R::Analyst) => Some(Org),
        (A::ReadEvents, _) => None,

        (A::WriteActivities, R::Admin) => Some(Org),
        (A::WriteActivities, R::Manager) => Some(Team),
        (A::WriteActivities, R::SalesRep | R::Marketer) => Some(Own),
        (A::WriteActivities, R::Agent) => Some(Handled),
        (A::WriteActivities, R::Analyst) => None,

        // Marketing brings leads in and hands them out; service agents note the callers who
        // may buy; sales reps work their own.
        (A::ReadLeads | A::WriteLeads, R::Admin | R::Marketer) => Some(Org),
        (A::ReadLeads | A::WriteLeads, R::Manager) => Some(Team),
        (A::ReadLeads | A::WriteLeads, R::SalesRep | R::Agent) => Some(Own),
        (A::ReadLeads, R::Analyst) => Some(Org),
        (A::WriteLeads, R::Analyst) => None,
        // Converting creates a customer and an opportunity: the sales roles only.
        (A::ConvertLeads, R::Admin) => Some(Org),
        (A::ConvertLeads, R::Manager) => Some(Team),
        (A::ConvertLeads, R::SalesRep) => Some(Own),
        (A::ConvertLeads, R::Agent | R::Marketer | R::Analyst) => None,

        // A data-protection duty: administrators only, and every export is audited.
        (A::ExportPersonalData, R::Admin) => Some(Org),
        (A::ExportPersonalData, _) => None,
        (A::EraseCustomers, R::Admin) => Some(Org),
        (A::EraseCustomers, _) => None,

        // Imports create customers without an owner for the whole organisation, and the
        // possible duplicates they find span it.
        (A::ImportCustomers, R::Admin | R::Manager) => Some(Org),
        (A::ImportCustomers, _) => None,
        // Merging moves history between two customers: those who may delete them.
        (A::ReviewDuplicates, R::Admin) => Some(Org),
        (A::ReviewDuplicates, R::Manager) => Some(Team),
        (A::ReviewDuplicates, _) => None,

        // The mining centre: analysts and marketers see the whole organisation, managers their
        // team's customers, sales reps their own; service agents work calls, not segments.
        (A::ViewAnalytics, R::Admin | R::Analyst | R::Marketer) => Some(Org),
        (A::ViewAnalytics, R::Manager) => Some(Team),
        (A::ViewAnalytics, R::SalesRep) => Some(Own),
        (A::ViewAnalytics, R::Agent) => None,
        // A run reads every purchase and rewrites every customer's scores.
        (A::RunAnalysis, R::Admin | R::Analyst) => Some(Org),
        (A::RunAnalysis, _) => None,
        (A::QueryWarehouse, R::Admin | R::Analyst) => Some(Org),
        (A::QueryWarehouse, _) => None,

        (A::ManageSalesSettings, R::Admin | R::Manager) => Some(Org),
        (A::ManageSalesSettings, _) => None,

        (A::WriteOrders | A::WriteOpportunities, R::Admin) => Some(Org),
        (A::WriteOrders | A::WriteOpportunities, R::Manager) => Some(Team),
        (A::WriteOrders | A::WriteOpportunities, R::SalesRep) => Some(Own),
        (A::WriteOrders | A::WriteOpportunities, R::Agent | R::Marketer | R::Analyst) => None,
    }
}

/// The record-level reach of one request, ready for the store: the scope and whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reach {
    /// The whole organisation (administrators, read-only roles, and the system itself).
    Org,
    Team {
        user: UserId,
        team: Option<TeamId>,
    },
    Own {
        user: UserId,
        team: Option<TeamId>,
    },
    Handled {
        user: UserId,
    },
}

impl Reach {
    pub fn of(scope: Scope, user: UserId, team: Option<TeamId>) -> Reach {
        match scope {
            Scope::Org => Reach::Org,
            Scope::Team => Reach::Team { user, team },
            Scope::Own => Reach::Own { user, team },
            Scope::Handled => Reach::Handled { user },
        }
    }

    /// Whom a customer may be given to: anyone of the organisation with [`Reach::Org`], a
    /// member of the team with a team-wide or own reach, only oneself otherwise.
    pub fn may_assign_to(self, owner: UserId, owner_team: Option<TeamId>) -> bool {
        match self {
            Reach::Org => true,
            Reach::Team { user, team } | Reach::Own { user, team } => {
                owner == user || (team.is_some() && owner_team == team)
            }
            Reach::Handled { user } => owner == user,
        }
    }

    /// May a customer be shared with `team`? Only with one's own team, unless the reach is the
    /// whole organisation; never by an agent.
    pub fn may_share_with(self, target: TeamId) -> bool {
        match self {
            Reach::Org => true,
            Reach::Team { team, .. } | Reach::Own { team, .. } => team == Some(target),
            Reach::Handled { .. } => false,
        }
    }

    /// The user a new record defaults to as owner when none is named: the actor, unless the
    /// reach is the whole organisation.
    pub fn default_owner(self) -> Option<UserId> {
        match self {
            Reach::Org => None,
            Reach::Team { user, .. } | Reach::Own { user, .. } | Reach::Handled { user } => {
                Some(user)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_may_use_its_own_account_and_nobody_but_admins_manage() {
        for role in Role::ALL {
            assert_eq!(grant(*role, Action::OwnAccount), Some(Scope::Org));
            let admin = *role == Role::Admin;
            for a in [
                Action::ManageUsers,
                Action::ManageTeams,
                Action::ManageSettings,
                Action::ReadAudit,
            ] {
                assert_eq!(grant(*role, a).is_some(), admin, "{role} {a}");
            }
        }
    }

    #[test]
    fn read_only_roles_never_write() {
        for role in [Role::Marketer, Role::Analyst] {
            for a in [
                Action::CreateCustomers,
                Action::WriteCustomers,
                Action::DeleteCustomers,
                Action::LogInteractions,
                Action::WriteInteractions,
            ] {
                assert_eq!(grant(role, a), None, "{role} {a}");
            }
        }
    }

    #[test]
    fn assignment_stays_within_reach() {
        let (me, mate, other) = (UserId(1), UserId(2), UserId(3));
        let (a, b) = (Some(TeamId(10)), Some(TeamId(20)));
        let own = Reach::Own { user: me, team: a };
        assert!(own.may_assign_to(me, a));
        assert!(own.may_assign_to(mate, a));
        assert!(!own.may_assign_to(other, b));
        assert!(!own.may_assign_to(other, None));
        let teamless = Reach::Own {
            user: me,
            team: None,
        };
        assert!(!teamless.may_assign_to(mate, None), "no team, no teammates");
        assert!(!Reach::Handled { user: me }.may_assign_to(mate, a));
        assert!(Reach::Org.may_assign_to(other, b));
        assert_eq!(Reach::Org.default_owner(), None);
        assert_eq!(own.default_owner(), Some(me));
    }
}

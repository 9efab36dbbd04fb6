//! The public routes: one operation (and one Lambda function) each. The local
//! runtime, `template.yaml` and the OpenAPI document are checked against this table.

use crate::{Response, ops};
use balcao_app::App;
use http::Method;
use lambda_http::Request;

/// One operation = one Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    ListOffices,
    GetOffice,
    ListSlots,
    RequestForm,
    OpenRequest,
    GetTicket,
    PostMessage,
    CancelTicket,
    CloseTicket,
    MarkRead,
    StaffQueue,
    StaffRequest,
    StaffMessage,
    AskMyRequests,
    MyRequests,
    NewUpload,
    GetAttachment,
    StaffNewUpload,
    StaffAttachment,
    StaffStartAnalysis,
    StaffChecklist,
    StaffDecide,
    StaffSchedule,
    StaffConclude,
    RateTicket,
    StaffRatings,
    StaffModerate,
    ProtocolLookup,
    StaffPublishProtocol,
    StaffImportProtocols,
    StaffOfficeSettings,
    StaffUpdateOffice,
    ReleaseTicket,
    StaffPool,
    StaffTake,
    StaffSignIn,
    StaffCallback,
    StaffSignOut,
    GetPrivacy,
    AskMyData,
    MyData,
    ExportMyData,
    EraseMyData,
    CheckUpload,
    StaffCheckUpload,
    StaffNote,
    StaffAssign,
    StaffReports,
    StaffExportRequests,
}

impl Op {
    pub const ALL: &'static [Op] = &[
        Op::ListOffices,
        Op::GetOffice,
        Op::ListSlots,
        Op::RequestForm,
        Op::OpenRequest,
        Op::GetTicket,
        Op::PostMessage,
        Op::CancelTicket,
        Op::CloseTicket,
        Op::MarkRead,
        Op::StaffQueue,
        Op::StaffRequest,
        Op::StaffMessage,
        Op::AskMyRequests,
        Op::MyRequests,
        Op::NewUpload,
        Op::GetAttachment,
        Op::StaffNewUpload,
        Op::StaffAttachment,
        Op::StaffStartAnalysis,
        Op::StaffChecklist,
        Op::StaffDecide,
        Op::StaffSchedule,
        Op::StaffConclude,
        Op::RateTicket,
        Op::StaffRatings,
        Op::StaffModerate,
        Op::ProtocolLookup,
        Op::StaffPublishProtocol,
        Op::StaffImportProtocols,
        Op::StaffOfficeSettings,
        Op::StaffUpdateOffice,
        Op::ReleaseTicket,
        Op::StaffPool,
        Op::StaffTake,
        Op::StaffSignIn,
        Op::StaffCallback,
        Op::StaffSignOut,
        Op::GetPrivacy,
        Op::AskMyData,
        Op::MyData,
        Op::ExportMyData,
        Op::EraseMyData,
        Op::CheckUpload,
        Op::StaffCheckUpload,
        Op::StaffNote,
        Op::StaffAssign,
        Op::StaffReports,
        Op::StaffExportRequests,
    ];

    /// Only a verified staff member may run it (`staff::admit`); signing in and
    /// out are how one becomes, and stops being, one.
    pub fn needs_staff(self) -> bool {
        self.function().starts_with("staff-")
            && !matches!(self, Op::StaffSignIn | Op::StaffCallback | Op::StaffSignOut)
    }

    /// The function crate under `functions/` and its binary name.
    pub fn function(self) -> &'static str {
        match self {
            Op::ListOffices => "list-offices",
            Op::GetOffice => "get-office",
            Op::ListSlots => "list-slots",
            Op::RequestForm => "request-form",
            Op::OpenRequest => "open-request",
            Op::GetTicket => "get-ticket",
            Op::PostMessage => "post-message",
            Op::CancelTicket => "cancel-ticket",
            Op::CloseTicket => "close-ticket",
            Op::MarkRead => "mark-read",
            Op::StaffQueue => "staff-queue",
            Op::StaffRequest => "staff-request",
            Op::StaffMessage => "staff-message",
            Op::AskMyRequests => "ask-my-requests",
            Op::MyRequests => "my-requests",
            Op::NewUpload => "new-upload",
            Op::GetAttachment => "get-attachment",
            Op::StaffNewUpload => "staff-new-upload",
            Op::StaffAttachment => "staff-attachment",
            Op::StaffStartAnalysis => "staff-start-analysis",
            Op::StaffChecklist => "staff-checklist",
            Op::StaffDecide => "staff-decide",
            Op::StaffSchedule => "staff-schedule",
            Op::StaffConclude => "staff-conclude",
            Op::RateTicket => "rate-ticket",
            Op::StaffRatings => "staff-ratings",
            Op::StaffModerate => "staff-moderate",
            Op::ProtocolLookup => "protocol-lookup",
            Op::StaffPublishProtocol => "staff-publish-protocol",
            Op::StaffImportProtocols => "staff-import-protocols",
            Op::StaffOfficeSettings => "staff-office-settings",
            Op::StaffUpdateOffice => "staff-update-office",
            Op::ReleaseTicket => "release-ticket",
            Op::StaffPool => "staff-pool",
            Op::StaffTake => "staff-take",
            Op::StaffSignIn => "staff-sign-in",
            Op::StaffCallback => "staff-callback",
            Op::StaffSignOut => "staff-sign-out",
            Op::GetPrivacy => "get-privacy",
            Op::AskMyData => "ask-my-data",
            Op::MyData => "my-data",
            Op::ExportMyData => "export-my-data",
            Op::EraseMyData => "erase-my-data",
            Op::CheckUpload => "check-upload",
            Op::StaffCheckUpload => "staff-check-upload",
            Op::StaffNote => "staff-note",
            Op::StaffAssign => "staff-assign",
            Op::StaffReports => "staff-reports",
            Op::StaffExportRequests => "staff-export-requests",
        }
    }

    /// Runs the operation. The security headers are set by the runtime around it
    /// (`balcao_aws::serve`, the local runtime's middleware), for every answer.
    pub async fn handle(self, app: &App, req: Request) -> Response {
        match self {
            Op::ListOffices => ops::offices::list(app, req).await,
            Op::GetOffice => ops::offices::card(app, req).await,
            Op::ListSlots => ops::booking::slots(app, req).await,
            Op::RequestForm => ops::open_request::form(app, req).await,
            Op::OpenRequest => ops::open_request::submit(app, req).await,
            Op::GetTicket => ops::ticket::show(app, req).await,
            Op::PostMessage => ops::citizen_actions::message(app, req).await,
            Op::CancelTicket => ops::citizen_actions::cancel(app, req).await,
            Op::CloseTicket => ops::citizen_actions::close(app, req).await,
            Op::MarkRead => ops::citizen_actions::read(app, req).await,
            Op::StaffQueue => ops::staff_requests::queue(app, req).await,
            Op::StaffRequest => ops::staff_requests::show(app, req).await,
            Op::StaffMessage => ops::staff_requests::message(app, req).await,
            Op::AskMyRequests => ops::my_requests::ask(app, req).await,
            Op::MyRequests => ops::my_requests::list(app, req).await,
            Op::NewUpload => ops::attachments::citizen_slot(app, req).await,
            Op::GetAttachment => ops::attachments::citizen_download(app, req).await,
            Op::StaffNewUpload => ops::attachments::staff_slot(app, req).await,
            Op::StaffAttachment => ops::attachments::staff_download(app, req).await,
            Op::StaffStartAnalysis => ops::staff_workflow::start_analysis(app, req).await,
            Op::StaffChecklist => ops::staff_workflow::checklist(app, req).await,
            Op::StaffDecide => ops::staff_workflow::decision(app, req).await,
            Op::StaffSchedule => ops::staff_workflow::appointment(app, req).await,
            Op::StaffConclude => ops::staff_workflow::conclusion(app, req).await,
            Op::RateTicket => ops::ratings::rate(app, req).await,
            Op::StaffRatings => ops::ratings::list(app, req).await,
            Op::StaffModerate => ops::ratings::moderate(app, req).await,
            Op::ProtocolLookup => ops::protocols::lookup(app, req).await,
            Op::StaffPublishProtocol => ops::protocols::publish(app, req).await,
            Op::StaffImportProtocols => ops::protocols::import(app, req).await,
            Op::StaffOfficeSettings => ops::office_settings::show(app, req).await,
            Op::StaffUpdateOffice => ops::office_settings::update(app, req).await,
            Op::ReleaseTicket => ops::citizen_actions::release(app, req).await,
            Op::StaffPool => ops::pool::list(app, req).await,
            Op::StaffTake => ops::pool::take(app, req).await,
            Op::StaffSignIn => ops::sign_in::start(app, req).await,
            Op::StaffCallback => ops::sign_in::callback(app, req).await,
            Op::StaffSignOut => ops::sign_in::sign_out(app, req).await,
            Op::GetPrivacy => ops::offices::privacy(app, req).await,
            Op::AskMyData => ops::my_data::ask(app, req).await,
            Op::MyData => ops::my_data::show(app, req).await,
            Op::ExportMyData => ops::my_data::export(app, req).await,
            Op::EraseMyData => ops::my_data::erase(app, req).await,
            Op::CheckUpload => ops::attachments::citizen_check(app, req).await,
            Op::StaffCheckUpload => ops::attachments::staff_check(app, req).await,
            Op::StaffNote => ops::notes::add(app, req).await,
            Op::StaffAssign => ops::assignment::assign(app, req).await,
            Op::StaffReports => ops::reports::show(app, req).await,
            Op::StaffExportRequests => ops::reports::export(app, req).await,
        }
    }
}

pub struct Route {
    pub method: Method,
    /// API Gateway syntax: `{name}` for a path parameter.
    pub path: &'static str,
    pub op: Op,
}

pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/",
        op: Op::ListOffices,
    },
    Route {
        method: Method::GET,
        path: "/offices",
        op: Op::ListOffices,
    },
    Route {
        method: Method::GET,
        path: "/offices/{office}",
        op: Op::GetOffice,
    },
    Route {
        method: Method::GET,
        path: "/offices/{office}/services/{service}/slots",
        op: Op::ListSlots,
    },
    Route {
        method: Method::GET,
        path: "/offices/{office}/requests/new",
        op: Op::RequestForm,
    },
    Route {
        method: Method::POST,
        path: "/offices/{office}/requests",
        op: Op::OpenRequest,
    },
    Route {
        method: Method::POST,
        path: "/offices/{office}/attachments",
        op: Op::NewUpload,
    },
    Route {
        method: Method::GET,
        path: "/tickets/{id}",
        op: Op::GetTicket,
    },
    Route {
        method: Method::GET,
        path: "/tickets/{id}/attachments/{file}",
        op: Op::GetAttachment,
    },
    Route {
        method: Method::POST,
        path: "/tickets/{id}/messages",
        op: Op::PostMessage,
    },
    Route {
        method: Method::POST,
        path: "/tickets/{id}/cancel",
        op: Op::CancelTicket,
    },
    Route {
        method: Method::POST,
        path: "/tickets/{id}/close",
        op: Op::CloseTicket,
    },
    Route {
        method: Method::POST,
        path: "/tickets/{id}/read",
        op: Op::MarkRead,
    },
    Route {
        method: Method::POST,
        path: "/my-requests",
        op: Op::AskMyRequests,
    },
    Route {
        method: Method::GET,
        path: "/my-requests",
        op: Op::MyRequests,
    },
    Route {
        method: Method::POST,
        path: "/my-data",
        op: Op::AskMyData,
    },
    Route {
        method: Method::GET,
        path: "/my-data",
        op: Op::MyData,
    },
    Route {
        method: Method::GET,
        path: "/my-data/export",
        op: Op::ExportMyData,
    },
    Route {
        method: Method::POST,
        path: "/my-data/erase",
        op: Op::EraseMyData,
    },
    Route {
        method: Method::GET,
        path: "/offices/{office}/attachments/check",
        op: Op::CheckUpload,
    },
    Route {
        method: Method::GET,
        path: "/staff/attachments/check",
        op: Op::StaffCheckUpload,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/notes",
        op: Op::StaffNote,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/assign",
        op: Op::StaffAssign,
    },
    Route {
        method: Method::GET,
        path: "/staff/reports",
        op: Op::StaffReports,
    },
    Route {
        method: Method::GET,
        path: "/staff/requests.csv",
        op: Op::StaffExportRequests,
    },
    Route {
        method: Method::GET,
        path: "/staff/requests",
        op: Op::StaffQueue,
    },
    Route {
        method: Method::GET,
        path: "/staff/requests/{id}",
        op: Op::StaffRequest,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/messages",
        op: Op::StaffMessage,
    },
    Route {
        method: Method::GET,
        path: "/staff/requests/{id}/attachments/{file}",
        op: Op::StaffAttachment,
    },
    Route {
        method: Method::POST,
        path: "/staff/attachments",
        op: Op::StaffNewUpload,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/analysis",
        op: Op::StaffStartAnalysis,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/checklist",
        op: Op::StaffChecklist,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/decision",
        op: Op::StaffDecide,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/appointment",
        op: Op::StaffSchedule,
    },
    Route {
        method: Method::POST,
        path: "/staff/requests/{id}/conclusion",
        op: Op::StaffConclude,
    },
    Route {
        method: Method::POST,
        path: "/tickets/{id}/rating",
        op: Op::RateTicket,
    },
    Route {
        method: Method::GET,
        path: "/staff/ratings",
        op: Op::StaffRatings,
    },
    Route {
        method: Method::POST,
        path: "/staff/ratings/{id}",
        op: Op::StaffModerate,
    },
    Route {
        method: Method::POST,
        path: "/offices/{office}/protocols/{number}",
        op: Op::ProtocolLookup,
    },
    Route {
        method: Method::POST,
        path: "/staff/protocols",
        op: Op::StaffPublishProtocol,
    },
    Route {
        method: Method::POST,
        path: "/staff/protocols/import",
        op: Op::StaffImportProtocols,
    },
    Route {
        method: Method::GET,
        path: "/staff/office",
        op: Op::StaffOfficeSettings,
    },
    Route {
        method: Method::POST,
        path: "/staff/office",
        op: Op::StaffUpdateOffice,
    },
    Route {
        method: Method::POST,
        path: "/tickets/{id}/release",
        op: Op::ReleaseTicket,
    },
    Route {
        method: Method::GET,
        path: "/staff/pool",
        op: Op::StaffPool,
    },
    Route {
        method: Method::POST,
        path: "/staff/pool/{id}/take",
        op: Op::StaffTake,
    },
    Route {
        method: Method::GET,
        path: "/staff/sign-in",
        op: Op::StaffSignIn,
    },
    Route {
        method: Method::GET,
        path: "/staff/callback",
        op: Op::StaffCallback,
    },
    Route {
        method: Method::POST,
        path: "/staff/sign-out",
        op: Op::StaffSignOut,
    },
    Route {
        method: Method::GET,
        path: "/offices/{office}/privacy",
        op: Op::GetPrivacy,
    },
];

impl Route {
    /// Only a verified staff session gets through (`staff::admit`).
    pub fn is_staff(&self) -> bool {
        self.op.needs_staff()
    }
}

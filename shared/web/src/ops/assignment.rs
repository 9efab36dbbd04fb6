//! `POST /staff/requests/{id}/assign` (issue 15): `attendant` is an
//! attendant's id, `me`, or empty to release the request.

use crate::Response;
use crate::ops::staff_workflow::run;
use balcao_app::App;
use balcao_app::assignment::{self, Assignee};
use lambda_http::Request;

pub async fn assign(app: &App, req: Request) -> Response {
    run(app, req, "atribuida", async |me, id, f, key| {
        let who = Assignee::parse(f.get("attendant").unwrap_or(""));
        assignment::assign(app, me, id, &who, key).await
    })
    .await
}

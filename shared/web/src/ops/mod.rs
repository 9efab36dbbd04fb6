pub mod attachments;
pub mod citizen_actions;
pub mod my_requests;
pub mod offices;
pub mod open_request;
pub mod staff_requests;
pub mod staff_workflow;
pub mod ticket;

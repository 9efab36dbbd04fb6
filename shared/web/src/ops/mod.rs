pub mod citizen_actions;
pub mod offices;
pub mod open_request;
pub mod staff_requests;
pub mod ticket;

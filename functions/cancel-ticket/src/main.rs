balcao_aws::http_function!(CancelTicket, citizen_actions::cancel);

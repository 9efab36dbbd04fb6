balcao_aws::http_function!(CloseTicket, citizen_actions::close);

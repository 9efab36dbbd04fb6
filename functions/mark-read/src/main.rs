balcao_aws::http_function!(MarkRead, citizen_actions::read);

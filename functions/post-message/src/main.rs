balcao_aws::http_function!(PostMessage, citizen_actions::message);

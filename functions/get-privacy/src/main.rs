balcao_aws::http_function!(GetPrivacy, offices::privacy);

balcao_aws::http_function!(ListSlots, booking::slots);

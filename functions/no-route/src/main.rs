#[tokio::main]
async fn main() -> Result<(), balcao_aws::Error> {
    balcao_aws::serve_no_route().await
}

#[tokio::main]
async fn main() -> Result<(), balcao_aws::Error> {
    balcao_aws::serve_retention().await
}

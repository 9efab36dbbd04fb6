#[tokio::main]
async fn main() -> Result<(), balcao_aws::Error> {
    balcao_aws::serve(balcao_aws::Op::ListSlots).await
}

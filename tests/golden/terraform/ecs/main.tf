# Modelled on ECS task definitions written in Terraform.
locals {
  log_router = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
  containers = [
    {
      name      = "api"
      image     = var.image
      essential = true
    },
    {
      name                  = "log_router"
      image                 = local.log_router
      essential             = true
      firelensConfiguration = { type = "fluentbit" }
    },
  ]
}

variable "collector_tag" {
  default = "v0.28.0"
}

resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = jsonencode(local.containers)
}

resource "aws_ecs_task_definition" "sidecars" {
  family = "sidecars"
  container_definitions = jsonencode([
    { name = "web", image = "nginx:latest", essential = true },
    { name = "otel", image = "public.ecr.aws/aws-observability/aws-otel-collector:${var.collector_tag}", essential = false },
    { name = "worker", image = var.missing_default },
  ])
}

resource "aws_ecs_task_definition" "heredoc" {
  family                = "heredoc"
  container_definitions = <<-EOF
    [
      {
        "name": "app",
        "image": "amazon/aws-xray-daemon",
        "cpu": ${var.cpu}
      }
    ]
  EOF
}

resource "aws_ecs_task_definition" "from_file" {
  family                = "from-file"
  container_definitions = file("${path.module}/containers/app.json")
}

resource "aws_ecs_task_definition" "from_template" {
  family                = "from-template"
  container_definitions = templatefile("app.json.tpl", { image = var.image, port = 8080 })
}

resource "aws_batch_job_definition" "nightly" {
  name = "nightly"
  type = "container"
  container_properties = jsonencode({
    image   = "busybox"
    command = ["echo", "hello"]
  })
}

resource "aws_instance" "bastion" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
}

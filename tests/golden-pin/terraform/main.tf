variable "tag" {
  default = "v0.28.0"
}

resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([
    { name = "app", image = "nginx:1.25.4" }, # web
    { name = "otel", image = "public.ecr.aws/aws-observability/aws-otel-collector:${var.tag}", essential = false },
  ])
}

resource "aws_ecs_task_definition" "heredoc" {
  family                = "heredoc"
  container_definitions = <<EOF
[{"name": "app", "image": "busybox:latest"}]
EOF
}

resource "kubernetes_deployment_v1" "web" {
  spec {
    template {
      spec {
        container {
          name  = "web"
          image = "redis:7.2.4"
        }
      }
    }
  }
}

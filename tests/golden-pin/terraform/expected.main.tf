variable "tag" {
  default = "v0.28.0@sha256:55e19854f28c9bbd17468e0587bf54ec27368b57d57dae0e2922c50b7b9f16f8"
}

resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([
    { name = "app", image = "nginx:1.25.4@sha256:4da5b07a96e7e6edf919a36af66e0cfaafeac5f76f383b06b6468fc6215e402e" }, # web
    { name = "otel", image = "public.ecr.aws/aws-observability/aws-otel-collector:${var.tag}", essential = false },
  ])
}

resource "aws_ecs_task_definition" "heredoc" {
  family                = "heredoc"
  container_definitions = <<EOF
[{"name": "app", "image": "busybox:1.0.0@sha256:de68ccc327e508f44a3a150fc877a442581bb03dd53e24b418fbc425ece79d52"}]
EOF
}

resource "kubernetes_deployment_v1" "web" {
  spec {
    template {
      spec {
        container {
          name  = "web"
          image = "redis:7.2.4@sha256:694ae80f451ea79ad7c0ec68cdf436d4fde9390de5687333a2d84532b2a08e1d"
        }
      }
    }
  }
}

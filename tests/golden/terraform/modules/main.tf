# Modelled on terraform-aws-modules/ecs examples.
locals {
  name           = "frontend"
  container_port = 3000
}

module "ecs_service" {
  source = "terraform-aws-modules/ecs/aws//modules/service"

  name = local.name

  container_definitions = {
    fluent-bit = {
      essential = true
      image     = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0"
      firelensConfiguration = {
        type = "fluentbit"
      }
    }

    (local.name) = {
      essential = true
      image     = "public.ecr.aws/aws-containers/ecsdemo-frontend:776fd50"
      portMappings = [{ containerPort = local.container_port }]
    }

    worker = {
      image = each.value.image
    }
  }
}

module "container_definition" {
  source = "terraform-aws-modules/ecs/aws//modules/container-definition"
  name   = "app"
  image  = "public.ecr.aws/docker/library/httpd:latest"
}

# Modelled on the Kubernetes provider's examples.
variable "repo" {
  default = "prom/prometheus"
}

variable "tag" {
  default = "v2.2.1"
}

resource "kubernetes_stateful_set_v1" "prometheus" {
  metadata {
    name = "prometheus"
  }
  spec {
    template {
      spec {
        init_container {
          name  = "init-chown-data"
          image = "busybox:latest"
        }
        container {
          name  = "prometheus-server"
          image = "${var.repo}:${var.tag}"
        }
        container {
          name  = "configmap-reload"
          image = "jimmidyson/configmap-reload:v0.1"
        }
      }
    }
  }
}

resource "kubernetes_pod" "debug" {
  metadata {
    name = "debug"
  }
  spec {
    container {
      name  = "shell"
      image = "busybox" # imagedrift-ignore missing-tag -- a throwaway debug pod
    }
  }
}

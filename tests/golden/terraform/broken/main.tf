resource "kubernetes_pod" "ok" {
  spec {
    container {
      name  = "web"
      image = "nginx:latest"
    }
  }
}

resource "kubernetes_pod" "broken" {
  spec {
    container {
      image = "redis:7.2
    }
  }

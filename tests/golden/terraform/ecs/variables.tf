variable "image" {
  description = "The application image"
  type        = string
  default     = "registry.example.com/acme/api:2.1"
}

variable "missing_default" {
  type = string
}

variable "cpu" {
  default = 256
}

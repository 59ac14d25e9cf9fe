/*
 * Host stand-ins for the CUDA runtime calls hopper_check.cu makes, so that the checker can be built with a host
 * compiler and run without a GPU against attngen's C kernels (mock_entries.cpp). "Device" memory is host memory;
 * everything completes at once. Only for checking the checker: see mock_check.sh.
 */
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

extern "C" {

cudaError_t CUDARTAPI cudaMalloc(void **p, size_t bytes) {
    *p = malloc(bytes > 0 ? bytes : 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t CUDARTAPI cudaFree(void *p) {
    free(p);
    return cudaSuccess;
}
cudaError_t CUDARTAPI cudaMemcpy(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind) {
    memcpy(dst, src, bytes);
    return cudaSuccess;
}
cudaError_t CUDARTAPI cudaStreamQuery(cudaStream_t) { return cudaSuccess; }
cudaError_t CUDARTAPI cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t CUDARTAPI cudaGetDevice(int *device) {
    *device = 0;
    return cudaSuccess;
}
cudaError_t CUDARTAPI cudaGetDeviceProperties(struct cudaDeviceProp *prop, int) {
    memset(prop, 0, sizeof(*prop));
    strcpy(prop->name, "host mock (attngen C kernels)");
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 0;
    prop->sharedMemPerBlockOptin = 232448;
    return cudaSuccess;
}
const char *CUDARTAPI cudaGetErrorString(cudaError_t error) { return error == cudaSuccess ? "no error" : "mock error"; }
const char *CUDARTAPI cudaGetErrorName(cudaError_t error) { return error == cudaSuccess ? "cudaSuccess" : "mockError"; }
cudaError_t CUDARTAPI cudaEventCreate(cudaEvent_t *event) {
    *event = NULL;
    return cudaSuccess;
}
cudaError_t CUDARTAPI cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
cudaError_t CUDARTAPI cudaEventElapsedTime(float *ms, cudaEvent_t, cudaEvent_t) {
    *ms = 0.0f;
    return cudaSuccess;
}
cudaError_t CUDARTAPI cudaEventDestroy(cudaEvent_t) { return cudaSuccess; }

}  // extern "C"

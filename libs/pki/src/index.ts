export { spiffeId, parseSpiffeId, principalOf, isSpiffeId, spiffeIdProblem, spiffeIdFromSubjectAltName, type SpiffeIdParts } from './spiffe.js';
export {
  createRootCa,
  loadCa,
  CLOCK_SKEW_MS,
  type CaMaterial,
  type RootCaOptions,
  type SignRequest,
  type SignedCertificate,
  type CertificateAuthority,
} from './ca.js';
export { SigningRefused } from './errors.js';
export { certificateInfo, verifyChain, rotationDue, type CertificateInfo, type ChainVerdict } from './inspect.js';
export { tlsMaterial, type TlsMaterial } from './tls-material.js';
export { splitPemCertificates, joinPem } from './pem.js';
export { dnsNameProblem, serviceDnsNames, type ServerSignRequest, type SignedServerCertificate } from './server-cert.js';
export { issueServingMaterial, type ServingMaterial } from './serving-material.js';
export { generateWorkloadKey, createWorkloadCsr, leafInfo, isSelfIssued, type WorkloadKey, type LeafInfo } from './workload.js';
